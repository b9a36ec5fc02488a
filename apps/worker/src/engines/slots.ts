import { leaveOnAbort } from './leave-on-abort.js';

/** A counting semaphore: at most `size` holders; waiters leave the line when their signal aborts. */
export function createSlots(size: number) {
  let busy = 0;
  const waiting: { grant: () => void; signal: AbortSignal }[] = [];

  const releaser = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next) next.grant();
      else busy -= 1;
    };
  };

  return {
    busy: () => busy,
    acquire(signal: AbortSignal): Promise<() => void> {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (busy < size) {
        busy += 1;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve, reject) => {
        const entry = { grant: () => resolve(releaser()), signal };
        waiting.push(entry);
        leaveOnAbort(waiting, entry, signal, reject);
      });
    },
  };
}
