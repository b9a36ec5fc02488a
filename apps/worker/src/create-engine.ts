import type { Config, Engine, ModelSpec } from '@spool/shared';
import { createLlamaCppEngine } from './engines/llamacpp.js';
import { locateModelFile } from './model-file.js';

/** Builds the engine a model spec names, with the worker's settings as defaults for its options. */
export async function createEngineForModel(spec: ModelSpec, config: Config): Promise<Engine> {
  const option = (name: string, fallback: number) => Number(spec.options[name] ?? fallback);
  switch (spec.engine) {
    case 'llamacpp':
      return createLlamaCppEngine({
        modelId: spec.id,
        modelPath: await locateModelFile(spec.source, config.SPOOL_MODEL_PATH),
        threads: option('threads', config.MODEL_THREADS),
        contextSize: option('contextSize', config.MODEL_CONTEXT_SIZE),
        slots: option('slots', config.MODEL_SLOTS),
        batchSize: option('batchSize', config.MODEL_BATCH_SIZE),
      });
    default:
      throw new Error(`Engine '${spec.engine}' of model '${spec.id}' is not available in this build.`);
  }
}
