import type { Scheduler } from './scheduler.js';

export interface PullGateOptions {
  slots: number;
  tokenBudget: number;
  scheduler: Scheduler;
  /** Recent jobs' sizes are the guess for the next; before any, this one (tokens). */
  firstGuessTokens: number;
}

/** Jobs the worker holds, by where they are in `process`. */
export interface HeldJobs {
  /** Pulled and not started yet (on the way to the scheduler, or waiting in it). */
  notStarted: number;
  /** Started: holding slots and tokens. */
  running: number;
}

export interface PullGate {
  /** A job of `tokens` came in: its size informs the guess for the next. */
  noteJob(tokens: number): void;
  /**
   * BullMQ's concurrency: the jobs this worker may hold now, so that it pulls only what can start.
   * With nothing waiting, that is the jobs here plus as many more of the recent size as fit the
   * free slots and tokens; with a job waiting, no more.
   */
  limit(held: HeldJobs): number;
  /** Jobs of the recent size that could start now besides those here. */
  startable(held: HeldJobs): number;
  /** The size (tokens) the next job is guessed to have. */
  guess(): number;
}

const RECENT = 16;

/**
 * BullMQ takes a job before anyone can see its size, so the worker guesses: the next job is as big
 * as the largest of the last few. Jobs of a burst look alike, so none is taken that cannot start;
 * a larger one than guessed waits here, and while it waits nothing more is pulled.
 */
export function createPullGate(options: PullGateOptions): PullGate {
  const recent: number[] = [];
  const guess = () => (recent.length > 0 ? Math.max(...recent) : options.firstGuessTokens);

  function startable(held: HeldJobs): number {
    const { runningSlots, runningTokens } = options.scheduler.stats();
    const size = Math.max(1, guess());
    const freeSlots = options.slots - runningSlots - held.notStarted;
    const freeTokens = options.tokenBudget - runningTokens - held.notStarted * size;
    return Math.max(0, Math.min(freeSlots, Math.floor(freeTokens / size)));
  }

  return {
    noteJob(tokens) {
      recent.push(tokens);
      if (recent.length > RECENT) recent.shift();
    },
    limit(held) {
      const here = held.notStarted + held.running;
      return Math.max(1, here + (options.scheduler.stats().blocked > 0 ? 0 : startable(held)));
    },
    startable,
    guess,
  };
}
