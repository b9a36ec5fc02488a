import { Redis } from 'ioredis';
import { createLogger, findModelSpec, loadConfig, loadModelSpecs, WAITING_REDIS_OPTIONS } from '@spool/shared';
import { createEngineForModel } from './create-engine.js';
import { createWorker } from './worker.js';
import { startHealthServer } from './health-server.js';

/** The value after `--name` in argv, if the flag is there. */
const flag = (argv: string[], name: string) => (argv.includes(name) ? (argv[argv.indexOf(name) + 1] ?? '') : undefined);

/**
 * Starts one worker for one model and runs until a signal. The model is `--model ID` (or
 * WORKER_MODEL, else the first configured); its GPUs are `--gpus 0,1` (or WORKER_GPUS, else the
 * model's `gpus`). `createEngine` builds the engine (a test may wrap the real one to inject a fault).
 */
export async function runWorkerProcess(argv: string[] = process.argv.slice(2), createEngine = createEngineForModel): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'spool-worker', level: config.LOG_LEVEL, logPrompts: config.LOG_PROMPTS });
  const specs = loadModelSpecs(config);
  const modelName = flag(argv, '--model') ?? config.WORKER_MODEL;
  const spec = modelName === undefined ? specs[0] : findModelSpec(specs, modelName);
  if (!spec) throw new Error(`Unknown model '${modelName}'; configured: ${specs.map((s) => s.id).join(', ')}`);
  const gpusText = flag(argv, '--gpus') ?? config.WORKER_GPUS;
  const gpus =
    gpusText === undefined
      ? spec.gpus
      : gpusText
          .split(',')
          .map((gpu) => gpu.trim())
          .filter(Boolean);
  // llama.cpp's CUDA backend reads the pinning from this process's environment when it loads.
  if (spec.engine === 'llamacpp' && gpus.length > 0) process.env.CUDA_VISIBLE_DEVICES = gpus.join(',');

  const engine = await createEngine(spec, config, { gpus, logger });
  // Up before the engine: a startup probe sees 503 while vLLM loads, not a refused connection.
  const health = config.WORKER_HEALTH_PORT > 0 ? await startHealthServer(config.WORKER_HEALTH_PORT, () => engine.healthy?.() ?? true) : undefined;
  await engine.start();
  // No client waits on a worker's commands: they wait out a Redis outage and go on once it returns.
  const redis = new Redis(config.REDIS_URL, WAITING_REDIS_OPTIONS);
  const worker = await createWorker({ config, engine, redis, subscriber: redis.duplicate(), logger, gpus });
  health?.setPhase('ready');

  let stopping = false;
  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    health?.setPhase('stopping');
    logger.info({ signal, workerId: worker.id }, 'worker stopping');
    await worker.close();
    await engine.stop();
    await health?.close();
    redis.disconnect();
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // A dead engine is not restarted in place (its native state went with it): the worker has handed its
  // jobs back and left the registry; exit 1 so the supervisor (compose, Kubernetes, systemd) starts a fresh one.
  void worker.lost.then(() => shutdown('engine lost', 1));
  // Started by `spool start` (an IPC channel to its parent): stop when that parent is gone.
  if (process.channel) process.on('disconnect', () => void shutdown('parent exited'));
}
