import { createLogger, engineOptions, type Config, type Engine, type Logger, type ModelSpec } from '@spool/shared';
import { createLlamaCppEngine } from './engines/llamacpp.js';
import { createThreadedLlamaCppEngine } from './engines/threaded-llamacpp.js';
import { createOpenAIEngine } from './engines/openai.js';
import { createVllmEngine } from './engines/vllm.js';
import { locateModelFile } from './model-file.js';

/** Where a worker runs: its GPUs, its log, and the environment a spawned engine inherits. */
export interface EngineRuntime {
  gpus?: string[];
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

/** Builds the engine a model spec names, with the worker's settings as defaults for its options. */
export async function createEngineForModel(spec: ModelSpec, config: Config, runtime: EngineRuntime = {}): Promise<Engine> {
  const gpus = runtime.gpus ?? spec.gpus;
  switch (spec.engine) {
    case 'llamacpp': {
      const options = engineOptions(spec, 'llamacpp');
      const create = config.MODEL_ENGINE_THREAD ? createThreadedLlamaCppEngine : createLlamaCppEngine;
      return create({
        modelId: spec.id,
        modelPath: await locateModelFile(spec.source, config.SPOOL_MODEL_PATH, spec.download),
        threads: options.threads ?? config.MODEL_THREADS,
        contextSize: options.contextSize ?? config.MODEL_CONTEXT_SIZE,
        slots: options.slots ?? config.MODEL_SLOTS,
        prioritySlots: options.prioritySlots ?? config.MODEL_PRIORITY_SLOTS,
        batchSize: options.batchSize ?? config.MODEL_BATCH_SIZE,
        gpu: options.gpu,
        gpuLayers: options.gpuLayers,
        gpus,
      });
    }
    case 'vllm':
      return createVllmEngine({
        modelId: spec.id,
        source: spec.source,
        options: engineOptions(spec, 'vllm'),
        gpus,
        logger: runtime.logger ?? createLogger({ name: 'spool-worker', level: config.LOG_LEVEL }),
        bin: config.VLLM_BIN,
        env: runtime.env ?? process.env,
        startupTimeoutMs: config.VLLM_STARTUP_TIMEOUT_MS,
        restartBackoffMs: config.VLLM_RESTART_BACKOFF_MS,
        dataDir: config.SPOOL_DATA_DIR,
      });
    case 'openai':
      return createOpenAIEngine({ modelId: spec.id, upstreamModel: spec.source, options: engineOptions(spec, 'openai') });
  }
}
