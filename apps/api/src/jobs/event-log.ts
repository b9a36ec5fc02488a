import type { Redis } from 'ioredis';
import { eventLogEntryId, eventLogSequence, type JobEvent } from '@spool/shared';

/** One entry of a job's event log: a worker event and its sequence number. */
export interface LoggedEvent {
  sequence: number;
  event: JobEvent;
}

type Entries = [id: string, fields: string[]][];

const parse = (entries: Entries): LoggedEvent[] =>
  entries.map(([id, fields]) => ({ sequence: eventLogSequence(id), event: JSON.parse(fields[1]!) as JobEvent }));

/** Everything logged after sequence number `after` (-1: from the start). */
export async function readLog(redis: Redis, key: string, after = -1): Promise<LoggedEvent[]> {
  const start = after < 0 ? '-' : `(${eventLogEntryId(after)}`;
  return parse((await redis.xrange(key, start, '+')) as Entries);
}

/**
 * Waits up to `blockMs` for entries after `after` (the log need not exist yet). Blocks its
 * connection: give it one of its own.
 */
export async function waitForLog(connection: Redis, key: string, after: number, blockMs: number): Promise<LoggedEvent[]> {
  const reply = await connection.xread('BLOCK', blockMs, 'STREAMS', key, after < 0 ? '0-0' : eventLogEntryId(after));
  return reply ? parse(reply[0]![1] as Entries) : [];
}
