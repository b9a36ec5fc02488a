import { randomUUID } from 'node:crypto';
import { estimateTokens, type GenerationJob } from '@spool/shared';
import type { ApiDeps, SpoolFunctions } from '../deps.js';
import { resolveModel } from '../resolve-model.js';
import { jobOutput } from '../respond/job-output.js';
import { builtInFunctions } from './built-ins.js';
import { registerPluginModules } from './loader.js';
import { startPluginHost } from './plugin-host.js';
import { createFunctionRegistry } from './registry.js';

/** How long the plugin modules may take to import (on a fresh thread, with TypeScript) before the API starts without them. */
const PLUGIN_LOAD_TIMEOUT_MS = 60_000;

/**
 * The API has no tokenizer: a count runs as a job on one of the model's workers, as a completion
 * input with `maxTokens: 0`, which the worker answers with the prompt's token count alone.
 */
export async function countTokensOnWorker(
  deps: Pick<ApiDeps, 'config' | 'jobs' | 'models' | 'registry'>,
  model: string,
  text: string,
  signal?: AbortSignal,
): Promise<number> {
  const { spec } = resolveModel(deps, model);
  const now = Date.now();
  const job: GenerationJob = {
    requestId: `count-${randomUUID()}`,
    model: spec.id,
    inputs: [{ kind: 'completion', prompt: text, maxTokens: 0, temperature: 0, topP: 1, stop: [], presencePenalty: 0, frequencyPenalty: 0 }],
    reservedTokens: estimateTokens(text),
    stream: false,
    enqueuedAt: now,
    deadlineAt: now + deps.config.MAX_QUEUE_WAIT_MS,
  };
  for await (const part of jobOutput(deps.jobs.submit(`count-${randomUUID().replaceAll('-', '')}`, job, { signal: signal ?? new AbortController().signal }))) {
    if (part.type === 'done') return part.usage.prompt_tokens;
  }
  throw new Error('The count job ended without a result.');
}

/** The registry with the built-ins (run in the API) and FUNCTIONS_DIR's modules (run on plugin threads), for the API's deps. */
export async function createSpoolFunctions(deps: Omit<ApiDeps, 'functions'>): Promise<SpoolFunctions> {
  const countTokens = (model: string, text: string) => countTokensOnWorker(deps, model, text);
  const registry = createFunctionRegistry({
    timeoutMs: deps.config.FUNCTIONS_TIMEOUT_MS,
    maxResultBytes: deps.config.FUNCTIONS_MAX_RESULT_BYTES,
    logger: deps.logger,
    countTokens,
  });
  for (const fn of builtInFunctions) registry.register(fn);
  if (!deps.config.FUNCTIONS_DIR) return { registry, loadFailures: [], close: () => Promise.resolve() };
  const host = await startPluginHost({
    dir: deps.config.FUNCTIONS_DIR,
    threads: deps.config.FUNCTIONS_THREADS,
    loadTimeoutMs: PLUGIN_LOAD_TIMEOUT_MS,
    countTokens,
    logger: deps.logger,
  });
  return { registry, loadFailures: registerPluginModules(host, registry, deps.logger), close: () => host.close() };
}
