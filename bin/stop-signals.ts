/**
 * Runs `stop` once, on the first SIGTERM or SIGINT (then exits 0) or on the returned function's
 * call (then exits with its code); exits 1 if `stop` throws. A second signal while `stop` runs
 * exits at once: the impatient operator's way out.
 */
export function onStopSignals(stop: () => Promise<void>): (exitCode: number) => void {
  let stopping = false;
  const begin = (exitCode: number) => {
    stopping = true;
    stop().then(
      () => process.exit(exitCode),
      (error: unknown) => {
        console.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  const onSignal = () => {
    if (stopping) {
      console.error('Stopping now, without waiting for in-flight work.');
      process.exit(1);
    }
    begin(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return (exitCode) => {
    if (!stopping) begin(exitCode);
  };
}
