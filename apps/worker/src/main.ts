import { Redis } from 'ioredis';
import { createLogger, findModelSpec, loadConfig, loadModelSpecs } from '@spool/shared';
import { createEngineForModel } from './create-engine.js';
import { createWorker } from './worker.js';

/** Starts one worker for one model (`--model ID` or the first configured) and runs until a signal. */
export async function runWorkerProcess(argv: string[] = process.argv.slice(2)): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'spool-worker', level: config.LOG_LEVEL, logPrompts: config.LOG_PROMPTS });
  const specs = loadModelSpecs(config);
  const modelArg = argv[argv.indexOf('--model') + 1];
  const spec = argv.includes('--model') ? findModelSpec(specs, modelArg ?? '') : specs[0];
  if (!spec) throw new Error(`Unknown model '${modelArg}'; configured: ${specs.map((s) => s.id).join(', ')}`);
  const gpusArg = argv.includes('--gpus') ? argv[argv.indexOf('--gpus') + 1] : undefined;

  const engine = await createEngineForModel(spec, config);
  await engine.start();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const worker = await createWorker({
    config,
    engine,
    redis,
    subscriber: redis.duplicate(),
    logger,
    gpus: gpusArg ? gpusArg.split(',') : [],
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workerId: worker.id }, 'worker stopping');
    await worker.close();
    await engine.stop();
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
