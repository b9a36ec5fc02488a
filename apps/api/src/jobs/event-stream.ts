import type { Request, Response } from 'express';
import { InvalidRequestError } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { sseEventOf } from './event-chunks.js';
import { readLog, type LoggedEvent } from './event-log.js';
import { formatOf } from './job-format.js';
import { getJob } from './job-store.js';
import { keysOf, ownerOf, readRecord } from './job-record.js';

/** How long a stream waits for new entries before it checks that its job still lives. */
const QUIET_MS = 2000;

/** `Last-Event-ID` or `?starting_after=N`: the last sequence number the client has; -1 for all. */
function startingAfter(req: Request): number {
  const header = req.get('last-event-id');
  const query = req.query.starting_after;
  const raw = header ?? (typeof query === 'string' ? query : undefined);
  if (raw === undefined || raw === '') return -1;
  if (!/^\d+$/.test(raw.trim())) {
    throw new InvalidRequestError(`Invalid event id '${raw}': expected a sequence number.`, header === undefined ? 'starting_after' : 'Last-Event-ID', 'invalid_value');
  }
  return Number(raw);
}

/**
 * Streams a job's events as SSE from its log: first what is logged after the client's position,
 * then new entries as the worker writes them, until the job's end (then `data: [DONE]` if it
 * completed). Any replica can serve it; a dropped client resumes with its last id.
 */
export async function streamJobEvents(deps: ApiDeps, req: Request, res: Response): Promise<void> {
  const jobId = String(req.params.id);
  const owner = ownerOf(res);
  const record = await readRecord(deps, jobId, owner);
  let after = startingAfter(req);
  const key = keysOf(deps).eventLog(jobId);
  const format = formatOf(record);

  res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  const clientGone = new AbortController();
  res.on('close', () => clientGone.abort());

  /** Sends entries; true once the job's end went out. */
  const send = (entries: LoggedEvent[]): boolean => {
    for (const { sequence, event } of entries) {
      const sse = sseEventOf(event, format, record.choices);
      res.write(`id: ${sequence}\n${sse.name ? `event: ${sse.name}\n` : ''}data: ${JSON.stringify({ ...sse.data, sequence_number: sequence })}\n\n`);
      after = sequence;
      if (sse.last === 'done') res.write('data: [DONE]\n\n');
      if (sse.last) return true;
    }
    return false;
  };

  try {
    let ended = send(await readLog(deps.redis, key, after));
    while (!ended && !clientGone.signal.aborted) {
      const entries = await deps.eventLog.wait(key, after, QUIET_MS, clientGone.signal);
      if (entries.length > 0) {
        ended = send(entries);
        continue;
      }
      // Quiet for a while: getJob writes the end of a job whose worker is gone, read next round.
      const job = await getJob(deps, jobId, owner).catch(() => undefined);
      if (!job) break;
      // A client that resumed after the job's last event has nothing more to wait for.
      if (job.status !== 'queued' && job.status !== 'in_progress') {
        ended = send(await readLog(deps.redis, key, after)) || true;
      }
    }
  } catch (error) {
    if (!clientGone.signal.aborted) throw error;
  } finally {
    res.end();
  }
}
