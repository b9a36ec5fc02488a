/**
 * Admission and dynamic micro-batching. A job starts only when its slots and tokens fit; jobs that
 * arrive within `windowMs` of each other start together so their prompts share decode batches.
 * An idle engine starts at the next tick: no timer ever sits in front of a lone first token.
 */
export interface SchedulerOptions {
  slots: number;
  tokenBudget: number;
  windowMs: number;
}

export interface Admission {
  slots: number;
  tokens: number;
}

export interface Scheduler {
  /** Resolves when the job may start; call the returned function when it ends. */
  admit(request: Admission, signal: AbortSignal): Promise<() => void>;
  stats(): { runningSlots: number; runningTokens: number; waiting: number };
}

type Pending = Admission & { start: (release: () => void) => void; fail: (reason: unknown) => void; signal: AbortSignal };

export function createScheduler(options: SchedulerOptions): Scheduler {
  const pending: Pending[] = [];
  let runningSlots = 0;
  let runningTokens = 0;
  let timer: NodeJS.Immediate | NodeJS.Timeout | undefined;

  const fits = (job: Admission) =>
    runningSlots === 0 ||
    (runningSlots + job.slots <= options.slots && runningTokens + job.tokens <= options.tokenBudget);

  function flush(): void {
    timer = undefined;
    while (pending.length > 0 && fits(pending[0]!)) {
      const job = pending.shift()!;
      if (job.signal.aborted) {
        job.fail(job.signal.reason);
        continue;
      }
      runningSlots += job.slots;
      runningTokens += job.tokens;
      let released = false;
      job.start(() => {
        if (released) return;
        released = true;
        runningSlots -= job.slots;
        runningTokens -= job.tokens;
        schedule();
      });
    }
  }

  function schedule(): void {
    if (timer || pending.length === 0) return;
    timer = runningSlots === 0 || options.windowMs === 0 ? setImmediate(flush) : setTimeout(flush, options.windowMs);
  }

  return {
    admit(request, signal) {
      return new Promise((start, fail) => {
        const job: Pending = { ...request, start, fail, signal };
        pending.push(job);
        // An idle engine starts a lone job at once: nothing sits in front of its first token.
        if (runningSlots === 0 && pending.length === 1 && !signal.aborted) {
          flush();
          return;
        }
        signal.addEventListener(
          'abort',
          () => {
            const index = pending.indexOf(job);
            if (index >= 0) {
              pending.splice(index, 1);
              fail(signal.reason);
            }
          },
          { once: true },
        );
        schedule();
      });
    },
    stats: () => ({ runningSlots, runningTokens, waiting: pending.length }),
  };
}
