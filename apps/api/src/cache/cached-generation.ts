import type { Request, Response } from 'express';
import type { Config } from '@spool/shared';
import { createChoiceAnswers } from '../respond/choice-answers.js';
import type { JobOutput } from '../respond/job-output.js';
import { cacheKey } from './cache-key.js';
import type { CachedResult } from './cached-result.js';
import type { CacheStatus, ResponseCache } from './response-cache.js';

export interface CacheableRequest {
  /** The endpoint (its id prefix): chat and legacy completions never share entries. */
  endpoint: string;
  /** The canonical model id. */
  model: string;
  body: Record<string, unknown>;
  defaults: Record<string, unknown>;
  /** The same request always gives the same answer (embeddings), whatever its sampling fields say. */
  deterministic?: boolean;
}

export interface CacheHandlers {
  /** Answers from a stored result. */
  replay(result: CachedResult): Promise<void>;
  /** Generates; `record` wraps the job's output so the final result is kept once it is complete. */
  generate(record: (output: AsyncIterable<JobOutput>, choices: number) => AsyncIterable<JobOutput>): Promise<void>;
}

/** What a request may do with the cache, from CACHE_POLICY, its sampling settings and Cache-Control. */
export function cacheAccess(
  config: Config,
  body: Record<string, unknown>,
  cacheControl: string | undefined,
  alwaysDeterministic = false,
): { read: boolean; write: boolean } {
  if (config.CACHE_POLICY === 'off') return { read: false, write: false };
  // A request without temperature samples at 1, as OpenAI's does: only a seed makes it reproducible.
  const deterministic = alwaysDeterministic || ((body.temperature as number | null | undefined) ?? 1) === 0 || body.seed != null;
  if (config.CACHE_POLICY === 'deterministic' && !deterministic) return { read: false, write: false };
  if (!cacheControl) return { read: true, write: true };
  const directives = new Set(
    cacheControl
      .toLowerCase()
      .split(',')
      .map((part) => part.trim()),
  );
  if (directives.has('no-store')) return { read: false, write: false };
  if (directives.has('no-cache')) return { read: false, write: true };
  return { read: true, write: true };
}

/**
 * Turns a stored result back into job output, so the relay shapes a hit exactly like a generation.
 * A plain array: everything is at hand, and the relay's `for await` reads it without an async
 * generator's promise per part.
 */
export function replayOutput(result: CachedResult): JobOutput[] {
  const parts: JobOutput[] = [];
  for (const [choice, state] of result.choices.entries()) {
    if (state.text !== '') parts.push({ type: 'text', choice, text: state.text, ...(state.logprobs ? { logprobs: state.logprobs } : {}) });
    for (const [index, call] of state.toolCalls.entries())
      parts.push({ type: 'tool-call', choice, index, id: call.id, name: call.name, arguments: call.arguments });
    parts.push({ type: 'choice-end', choice, finishReason: state.finishReason });
  }
  parts.push({ type: 'done', usage: result.usage, ...(result.embeddings ? { embeddings: result.embeddings } : {}) });
  return parts;
}

/** Passes output through and hands over the final result when `done` arrives with every choice finished. */
export async function* recordOutput(
  output: AsyncIterable<JobOutput> | Iterable<JobOutput>,
  choices: number,
  onResult: (result: CachedResult) => void,
): AsyncIterable<JobOutput> {
  const answers = createChoiceAnswers(choices);
  for await (const part of output) {
    answers.add(part);
    if (part.type === 'done' && answers.choices.every((answer) => answer.finishReason !== null)) {
      onResult({
        choices: answers.choices.map((answer) => ({ ...answer, finishReason: answer.finishReason! })),
        usage: part.usage,
        ...(part.embeddings ? { embeddings: part.embeddings } : {}),
      });
    }
    yield part;
  }
}

/**
 * The cache in the request path: look up (L1 → L2 → L3), wait on an identical generation in flight,
 * or generate and store. Sets `x-cache` and `res.locals.cache` on every answer.
 */
export async function answerWithCache(
  cache: ResponseCache | undefined,
  config: Config,
  req: Request,
  res: Response,
  request: CacheableRequest,
  handlers: CacheHandlers,
): Promise<void> {
  const access = cache ? cacheAccess(config, request.body, req.get('cache-control'), request.deterministic) : { read: false, write: false };
  const mark = (status: CacheStatus, coalesced = false) => {
    res.setHeader('x-cache', status);
    res.locals.cache = status;
    if (coalesced) res.locals.cacheCoalesced = true;
    cache?.count(status, coalesced);
  };
  if (!cache || (!access.read && !access.write)) {
    mark('bypass');
    return handlers.generate((output) => output);
  }
  const scope = config.CACHE_SCOPE === 'global' ? 'global' : ((res.locals.principal as { sub?: string } | undefined)?.sub ?? 'anonymous');
  const key = cacheKey({ ...request, scope });
  const replay = async (result: CachedResult, status: CacheStatus, coalesced = false) => {
    mark(status, coalesced);
    await handlers.replay(result);
    // Nothing was generated for this answer: keep it out of the token totals.
    res.locals.usage = undefined;
  };

  let leading = false;
  if (access.read) {
    for (;;) {
      const hit = await cache.lookup(key);
      if (hit) return replay(hit.result, `hit-${hit.level}`);
      const inFlight = cache.join(key);
      if (!inFlight) break;
      const shared = await inFlight;
      if (shared) return replay(shared, 'hit-l1', true);
    }
    leading = true;
    const remote = await cache.awaitOtherReplica(key);
    if (remote) {
      cache.settle(key, remote.result);
      return replay(remote.result, 'hit-l2', true);
    }
  }
  mark('miss');
  let result: CachedResult | undefined;
  let stored: Promise<void> | undefined;
  try {
    await handlers.generate((output, choices) =>
      recordOutput(output, choices, (complete) => {
        result = complete;
        stored = cache.store(key, request.model, complete).catch(() => undefined);
      }),
    );
  } finally {
    if (leading) cache.settle(key, result, stored);
  }
}
