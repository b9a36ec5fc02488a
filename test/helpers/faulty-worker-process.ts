// `spool worker` on the real model, whose engine dies (as when its thread exits) on SIGUSR2.
import { createEngineForModel, runWorkerProcess } from '@spool/worker';
import { withFatalFault } from './fatal-engine-fault.js';

await runWorkerProcess(process.argv.slice(2), async (...args) => {
  const engine = withFatalFault(await createEngineForModel(...args));
  process.on('SIGUSR2', () => engine.die());
  return engine;
});
