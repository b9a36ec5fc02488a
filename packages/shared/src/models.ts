import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Config } from './config.js';

export const modelSpecSchema = z.object({
  id: z.string().min(1),
  aliases: z.array(z.string().min(1)).default([]),
  engine: z.enum(['llamacpp', 'vllm', 'openai']).default('llamacpp'),
  /** A file name on SPOOL_MODEL_PATH, a path, an `hf:` URI, or an engine's model id. */
  source: z.string().min(1),
  /** Engine options; each adapter validates its own. */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type ModelSpec = z.infer<typeof modelSpecSchema>;

const modelsFileSchema = z.object({ models: z.array(modelSpecSchema).min(1) });

/** The embedded default: the 1 MB TinyStories model, found along SPOOL_MODEL_PATH. */
export const EMBEDDED_MODEL_SOURCE = 'stories260K.gguf';

/** The configured models: from MODELS_FILE (JSON) when set, else the embedded default. */
export function loadModelSpecs(config: Config): ModelSpec[] {
  if (!config.MODELS_FILE) {
    return [modelSpecSchema.parse({ id: config.DEFAULT_MODEL, source: EMBEDDED_MODEL_SOURCE })];
  }
  const text = readFileSync(config.MODELS_FILE, 'utf8');
  return modelsFileSchema.parse(JSON.parse(text)).models;
}

/** Finds a model id or alias among the specs. */
export function findModelSpec(specs: ModelSpec[], name: string): ModelSpec | undefined {
  return specs.find((spec) => spec.id === name || spec.aliases.includes(name));
}

/** Candidate paths of a model file along the search path, in order. */
export function modelFileCandidates(source: string, searchPath: string): string[] {
  if (source.startsWith('/') || source.startsWith('./') || source.startsWith('../')) return [source];
  return searchPath.split(':').filter(Boolean).map((dir) => `${dir.replace(/\/$/, '')}/${source}`);
}

/** The first existing candidate, or undefined. */
export function findModelFile(source: string, searchPath: string): string | undefined {
  return modelFileCandidates(source, searchPath).find((path) => existsSync(path));
}
