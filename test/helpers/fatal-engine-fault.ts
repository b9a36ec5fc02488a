import type { Engine } from '@spool/shared';
import { EngineLostError } from '@spool/worker';

export type FaultyEngine = Engine & {
  /** Plays the engine thread's death: tells `onLost`, fails what runs with EngineLostError, and every later call. */
  die(): void;
};

/**
 * A real engine that a test can make die as the threaded llama.cpp engine does when its thread exits.
 * Terminating the real thread mid-decode can abort the whole process inside node-llama-cpp's native
 * teardown, which would take the test runner with it; this fault reaches the worker the same way.
 */
export function withFatalFault(engine: Engine): FaultyEngine {
  const listeners: ((error: Error) => void)[] = [];
  const running = new Set<AbortController>();
  let dead: EngineLostError | undefined;
  return {
    get model() {
      return engine.model;
    },
    start: () => engine.start(),
    stats: () => engine.stats(),
    stop: () => engine.stop(),
    countPromptTokens: (request) => (dead ? Promise.reject(dead) : engine.countPromptTokens(request)),
    async *generate(request, signal) {
      if (dead) throw dead;
      const inner = new AbortController();
      const onAbort = () => inner.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      running.add(inner);
      try {
        for await (const event of engine.generate(request, inner.signal)) {
          if (dead) throw dead;
          yield event;
        }
      } catch (error) {
        throw dead ?? error;
      } finally {
        running.delete(inner);
        signal.removeEventListener('abort', onAbort);
      }
      if (dead) throw dead;
    },
    onLost(listener) {
      listeners.push(listener);
    },
    die() {
      dead = new EngineLostError('The engine thread exited (test fault).');
      for (const listener of listeners) listener(dead);
      for (const controller of running) controller.abort(dead);
    },
  };
}
