import type { Redis } from 'ioredis';
import { eventLogEntryId, eventLogSequence, type JobEvent } from '@spool/shared';

/** One entry of a job's event log: a worker event and its sequence number. */
export interface LoggedEvent {
  sequence: number;
  event: JobEvent;
}

/** Stream entries as XRANGE and XREAD return them. */
export type LogEntries = [id: string, fields: string[]][];

export const parseEntries = (entries: LogEntries): LoggedEvent[] =>
  entries.map(([id, fields]) => ({ sequence: eventLogSequence(id), event: JSON.parse(fields[1]!) as JobEvent }));

/** Everything logged after sequence number `after` (-1: from the start), or its first `count` entries. */
export async function readLog(redis: Redis, key: string, after = -1, count?: number): Promise<LoggedEvent[]> {
  const start = after < 0 ? '-' : `(${eventLogEntryId(after)}`;
  const entries = count === undefined ? await redis.xrange(key, start, '+') : await redis.xrange(key, start, '+', 'COUNT', count);
  return parseEntries(entries as LogEntries);
}
