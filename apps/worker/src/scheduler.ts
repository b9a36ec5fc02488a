import { leaveOnAbort } from './engines/leave-on-abort.js';

/**
 * Admission and dynamic micro-batching. A job starts only when its slots and tokens fit; jobs that
 * arrive within `windowMs` of each other start together so their prompts share decode batches.
 * An idle engine starts at the next tick: no timer ever sits in front of a lone first token.
 *
 * Batch lines (the lowest priority) have a cap of their own, `batchSlots`: the slots above it stay
 * for interactive work, and a batch line the worker already holds waits here (not in Redis) for
 * the next batch slot, so it starts the moment a line ends. Waiting interactive jobs always start
 * before waiting batch lines, and while only batch lines run, nothing waits for the window.
 */
export interface SchedulerOptions {
  slots: number;
  tokenBudget: number;
  windowMs: number;
  /** Most slots batch lines may hold at once (default: every slot). */
  batchSlots?: number;
}

export interface Admission {
  slots: number;
  tokens: number;
  /** A batch line: counted against `batchSlots`, started after any waiting interactive job. */
  batch?: boolean;
}

export interface Scheduler {
  /** Resolves when the job may start; call the returned function when it ends. */
  admit(request: Admission, signal: AbortSignal): Promise<() => void>;
  /** `blocked`: the waiting jobs that cannot start now (a line whose first job does not fit, FIFO). */
  stats(): { runningSlots: number; runningTokens: number; waiting: number; blocked: number };
}

type Pending = Admission & { start: (release: () => void) => void; fail: (reason: unknown) => void; signal: AbortSignal };

export function createScheduler(options: SchedulerOptions): Scheduler {
  const batchSlots = Math.min(options.slots, options.batchSlots ?? options.slots);
  // Two FIFO lines: interactive work, then batch lines.
  const waiting = { interactive: [] as Pending[], batch: [] as Pending[] };
  let runningSlots = 0;
  let runningBatchSlots = 0;
  let runningTokens = 0;
  let timer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  const waitingCount = () => waiting.interactive.length + waiting.batch.length;

  const fits = (job: Admission) =>
    runningSlots === 0 ||
    (runningSlots + job.slots <= options.slots &&
      runningTokens + job.tokens <= options.tokenBudget &&
      (!job.batch || runningBatchSlots + job.slots <= batchSlots));

  const blockedIn = (line: Pending[]) => (line.length > 0 && !fits(line[0]!) ? line.length : 0);

  function startFrom(line: Pending[]): void {
    // Strict FIFO within a line: a job that does not fit yet holds back the ones behind it.
    while (line.length > 0 && fits(line[0]!)) {
      const job = line.shift()!;
      if (job.signal.aborted) {
        job.fail(job.signal.reason);
        continue;
      }
      const batchShare = job.batch ? job.slots : 0;
      runningSlots += job.slots;
      runningBatchSlots += batchShare;
      runningTokens += job.tokens;
      let released = false;
      job.start(() => {
        if (released) return;
        released = true;
        runningSlots -= job.slots;
        runningBatchSlots -= batchShare;
        runningTokens -= job.tokens;
        schedule();
      });
    }
  }

  function flush(): void {
    timer = undefined;
    startFrom(waiting.interactive);
    startFrom(waiting.batch);
  }

  function schedule(): void {
    if (timer || waitingCount() === 0) return;
    // The window groups interactive prompts arriving together; with only batch lines running (or
    // nothing), the next job starts at the next tick.
    const onlyBatchRunning = runningSlots === runningBatchSlots;
    timer = onlyBatchRunning || options.windowMs === 0 ? setImmediate(flush) : setTimeout(flush, options.windowMs);
  }

  return {
    admit(request, signal) {
      return new Promise((start, fail) => {
        const job: Pending = { ...request, start, fail, signal };
        const line = request.batch ? waiting.batch : waiting.interactive;
        line.push(job);
        // An idle engine starts a lone job at once: nothing sits in front of its first token.
        if (runningSlots === 0 && waitingCount() === 1 && !signal.aborted) {
          flush();
          return;
        }
        leaveOnAbort(line, job, signal, fail);
        schedule();
      });
    },
    stats: () => ({ runningSlots, runningTokens, waiting: waitingCount(), blocked: blockedIn(waiting.interactive) + blockedIn(waiting.batch) }),
  };
}
