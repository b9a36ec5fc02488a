import type { ApiDeps } from '../deps.js';
import { readLog, type LoggedEvent } from './event-log.js';
import { keysOf } from './job-record.js';
import { getJob } from './job-store.js';

/** How long a follower waits for new entries before it checks that its job still lives. */
const QUIET_MS = 2000;
/**
 * Entries read at once: a long log goes out a page at a time, at the pace its reader takes it
 * (the shared reader's waits return at most a page too).
 */
const PAGE_SIZE = 500;

const isEnd = ({ event }: LoggedEvent) => event.type === 'done' || event.type === 'error';

/**
 * A job's log entries after sequence number `after`: first what is logged, then new entries as the
 * worker writes them (read through the process's shared `deps.eventLog`), up to and including the
 * job's end. Stops early once `signal` aborts; when a shutdown's grace period ends first, it throws
 * that 503. Any replica can follow any job; a reader that dropped resumes with the last sequence
 * it saw.
 */
export async function* followJobLog(deps: ApiDeps, jobId: string, owner: string, after: number, signal: AbortSignal): AsyncIterable<LoggedEvent> {
  const key = keysOf(deps).eventLog(jobId);
  const stop = AbortSignal.any([signal, deps.drain.expired]);
  try {
    let entries = await readLog(deps.redis, key, after, PAGE_SIZE);
    for (;;) {
      for (const entry of entries) {
        yield entry;
        after = entry.sequence;
        if (isEnd(entry)) return;
      }
      if (stop.aborted) break;
      entries = await deps.eventLog.wait(key, after, QUIET_MS, stop);
      if (entries.length > 0 || stop.aborted) continue;
      // Quiet for a while: getJob writes the end of a job whose worker is gone, read next round.
      const job = await getJob(deps, jobId, owner).catch(() => undefined);
      if (!job) return;
      // A reader that resumed after the job's last event has nothing more to wait for.
      if (job.status !== 'queued' && job.status !== 'in_progress') {
        entries = await readLog(deps.redis, key, after, PAGE_SIZE);
        if (entries.length === 0) return;
      }
    }
  } catch (error) {
    if (!stop.aborted) throw error;
  }
  if (!signal.aborted && deps.drain.expired.aborted) throw deps.drain.expired.reason;
}
