import type { ChainableCommander, Redis } from 'ioredis';

/**
 * One job's events in one step: publish them and append them to the job's event log, but only while
 * BullMQ's lock of the job (`<prefix>:<queue>:<id>:lock`) still holds this attempt's token. A worker
 * that lost its lock (stalled past the lock duration, its job re-run elsewhere) is refused here, so
 * a stale attempt never interleaves with the attempt that owns the job now. An empty token writes
 * unconditionally (a job nobody holds a lock on).
 *
 * KEYS: lock, channel, event log, job record. ARGV: token, message, log MAXLEN, retention (s), then
 * pairs of entry id and event. Returns 1 when written, 0 when refused.
 */
const SCRIPT = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PUBLISH', KEYS[2], ARGV[2])
if #ARGV > 4 then
  for i = 5, #ARGV, 2 do
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], ARGV[i], 'event', ARGV[i + 1])
  end
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  redis.call('EXPIRE', KEYS[4], ARGV[4])
end
return 1
`;

export interface FencedWrite {
  lockKey: string;
  token: string;
  channel: string;
  message: string;
  log?: { key: string; recordKey: string; maxEvents: number; retentionS: number; entries: [id: string, event: string][] };
}

type WithCommand = { spoolFencedWrite(...args: (string | number)[]): unknown };

/** Defines the command on a connection, before any pipeline of it is made (pipelines copy the commands they see). */
export function defineFencedWrite(redis: Redis): void {
  if (!('spoolFencedWrite' in redis)) redis.defineCommand('spoolFencedWrite', { numberOfKeys: 4, lua: SCRIPT });
}

/** Queues the fenced write on a pipeline of a connection that `defineFencedWrite` prepared. */
export function queueFencedWrite(pipeline: ChainableCommander, write: FencedWrite): void {
  const { log } = write;
  (pipeline as unknown as WithCommand).spoolFencedWrite(
    write.lockKey,
    write.channel,
    log?.key ?? write.channel,
    log?.recordKey ?? write.channel,
    write.token,
    write.message,
    log?.maxEvents ?? 0,
    log?.retentionS ?? 0,
    ...(log?.entries.flat() ?? []),
  );
}
