/**
 * While `entry` waits in `line`, an abort of `signal` takes it out and rejects it with the signal's
 * reason. Once the entry has left the line (it started), an abort changes nothing here.
 */
export function leaveOnAbort<T>(line: T[], entry: T, signal: AbortSignal, reject: (reason: unknown) => void): void {
  signal.addEventListener(
    'abort',
    () => {
      const index = line.indexOf(entry);
      if (index >= 0) {
        line.splice(index, 1);
        reject(signal.reason);
      }
    },
    { once: true },
  );
}
