import { batchSlotsOf, errorFromJobFailure, SpoolError, type Config, type Logger, type ModelSpec } from '@spool/shared';
import type { FileStore } from '../files/file-store.js';
import type { WorkerRegistry } from '../worker-registry.js';
import type { BatchRecord, BatchStore } from './batch-store.js';
import { parseRequestLine, readLines, type BatchRequestLine } from './input-lines.js';
import { lineJob } from './line-job.js';
import type { LineJobs } from './line-jobs.js';
import { failedLine, refusedLine, successLine } from './line-result.js';
import type { ResultLog } from './result-log.js';

export interface BatchContext {
  config: Config;
  logger: Logger;
  models: ModelSpec[];
  registry: WorkerRegistry;
  store: BatchStore;
  files: FileStore;
  lineJobs: LineJobs;
}

/** Why the feeding loop ended. */
export type RunEnd = 'done' | 'cancelled' | 'expired' | 'shutdown';

/** How long the loop sleeps when nothing wakes it (no worker yet, or waiting on results). */
const IDLE_MS = 250;

/**
 * Feeds a batch's unfinished lines into the model queues and records each result, topping the
 * lines in flight back up the moment one ends. In flight per worker: its slots less
 * BATCH_FREE_SLOTS (the slots batch lines may run in; the worker's scheduler holds them to that),
 * plus BATCH_PREFETCH lines ready behind them, so a worker starts its next line as one ends without
 * waiting for this coordinator. An interactive request (which BullMQ serves before any prioritized
 * line) still finds a free slot at once: the worker fetches more than it runs only while it holds
 * batch lines, and never more than slots + BATCH_PREFETCH. BATCH_FREE_SLOTS=0 gives every slot to
 * the batch and keeps a second round of lines queued.
 */
export async function runLines(context: BatchContext, batch: BatchRecord, log: ResultLog, shouldStop: () => RunEnd | undefined): Promise<RunEnd> {
  const { config, registry, store, files, lineJobs } = context;
  const models = new Set(batch.models ?? []);
  const lines = readLines(files.read(await files.get(batch.input_file_id)))[Symbol.asyncIterator]();
  const inflight = new Set<string>();
  let carry: BatchRequestLine[] = [];
  let exhausted = false;
  let wake: (() => void) | undefined;
  // Set by a result that arrived while the loop was busy, so it does not then sleep past it.
  let signalled = false;
  let flushing = Promise.resolve();
  let flushQueued = false;
  // A write that failed (say, a full disk) stops the run; a retry resumes from what reached the files.
  let flushError: unknown;
  // After a shutdown, results that still arrive belong to the next coordinator, which reads them from their jobs.
  let stopped = false;

  const flush = () => {
    if (flushQueued) return;
    flushQueued = true;
    flushing = flushing
      .then(async () => {
        flushQueued = false;
        const written = await log.flush();
        await store.count(batch.id, written.completed, written.failed);
      })
      .catch((error: unknown) => {
        flushError ??= error;
      });
  };
  const capacity = () => {
    const workers = registry.workers().filter((worker) => models.has(worker.model));
    // With no slot kept free, a second round of lines waits in the queue so that a worker pulls the
    // next line as it finishes one, without a round trip through this coordinator.
    if (config.BATCH_FREE_SLOTS === 0) return 2 * workers.reduce((sum, worker) => sum + worker.slots, 0);
    return workers.reduce((sum, worker) => sum + batchSlotsOf(worker.slots, worker.batchSlots, config.BATCH_FREE_SLOTS) + config.BATCH_PREFETCH, 0);
  };

  async function nextLines(room: number): Promise<BatchRequestLine[]> {
    const taken = carry.splice(0, room);
    while (taken.length < room && !exhausted) {
      const next = await lines.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const parsed = parseRequestLine(next.value, batch.endpoint, context.models);
      if (!parsed.ok) continue;
      if (!log.done.has(parsed.request.customId)) taken.push(parsed.request);
    }
    return taken;
  }

  async function submit(requests: BatchRequestLine[]): Promise<void> {
    const byModel = new Map<string, Parameters<LineJobs['submit']>[1]>();
    for (const request of requests) {
      const contextLength = registry.contextLength(request.spec.id);
      if (contextLength === undefined) {
        carry.push(request);
        continue;
      }
      const jobId = `${batch.id}-L${request.line}`;
      const requestId = `req_${jobId}`;
      const target = { requestId, model: request.spec.id, contextLength, stream: false, maxQueueWaitMs: batch.expires_at * 1000 - Date.now() };
      try {
        const job = lineJob(request, target);
        // The result comes back through BullMQ (line-jobs.ts): nobody reads a line's events.
        const data = { ...job, silent: true };
        const jobs = byModel.get(request.spec.id) ?? [];
        jobs.push({
          jobId,
          data,
          onSettled(outcome) {
            if (stopped) return;
            inflight.delete(jobId);
            if (outcome.ok) log.record(successLine(request, requestId, outcome.result), true);
            else {
              // A line the worker refused (too long for the model, say) answers as a refused request does.
              const refusal = errorFromJobFailure(outcome.reason);
              log.record(
                refusal ? refusedLine(request.customId, requestId, refusal) : failedLine(request.customId, 'generation_failed', outcome.reason),
                false,
              );
            }
            flush();
            signalled = true;
            wake?.();
          },
        });
        byModel.set(request.spec.id, jobs);
        inflight.add(jobId);
      } catch (error) {
        if (!(error instanceof SpoolError)) throw error;
        log.record(refusedLine(request.customId, requestId, error), false);
        flush();
      }
    }
    await Promise.all([...byModel].map(([model, jobs]) => lineJobs.submit(model, jobs)));
  }

  let end: RunEnd | undefined;
  for (;;) {
    if (flushError) throw flushError;
    end = shouldStop();
    if (end) break;
    const room = capacity() - inflight.size;
    if (room > 0 && (!exhausted || carry.length > 0)) {
      const before = carry.length;
      await submit(await nextLines(room));
      // Lines carried over wait for a live worker of their model: do not spin on them.
      if (carry.length === 0 || carry.length !== before) continue;
    }
    if (exhausted && carry.length === 0 && inflight.size === 0) break;
    if (!signalled) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, IDLE_MS);
      });
      wake = undefined;
    }
    signalled = false;
  }
  // A shutdown leaves running lines to finish in the queues: the next coordinator collects them.
  if (end === 'cancelled' || end === 'expired') await lineJobs.cancel([...inflight]);
  await lines.return?.();
  flush();
  await flushing;
  stopped = true;
  if (flushError) throw flushError;
  return end ?? 'done';
}

/** After expiry, every line that never finished goes to the error file, as OpenAI does. */
export async function recordExpired(context: BatchContext, batch: BatchRecord, log: ResultLog): Promise<void> {
  const input = await context.files.get(batch.input_file_id);
  for await (const line of readLines(context.files.read(input))) {
    const parsed = parseRequestLine(line, batch.endpoint, context.models);
    if (!parsed.ok || log.done.has(parsed.request.customId)) continue;
    log.record(failedLine(parsed.request.customId, 'batch_expired', 'This request could not be executed before the completion window expired.'), false);
  }
  const written = await log.flush();
  await context.store.count(batch.id, written.completed, written.failed);
}
