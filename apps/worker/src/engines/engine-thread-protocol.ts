import type { EmbeddingRequest, EmbeddingResult, EngineStats, GenerationEvent, GenerationRequest, ThreadError } from '@spool/shared';

export { fromThreadError, toThreadError, type ThreadError } from '@spool/shared';

/** Messages from the worker's main thread to the engine thread. */
export type ToEngineThread =
  | { type: 'generate'; id: number; request: GenerationRequest }
  | { type: 'abort'; id: number }
  | { type: 'count'; id: number; request: GenerationRequest }
  | { type: 'embed'; id: number; request: EmbeddingRequest }
  | { type: 'stop' };

/** Messages from the engine thread: events go out in batches, one message per tick. */
export type FromEngineThread =
  | { type: 'started' }
  | { type: 'start-failed'; error: ThreadError }
  | { type: 'events'; items: { id: number; event: GenerationEvent }[] }
  | { type: 'done'; id: number; error?: ThreadError; stats: EngineStats }
  | { type: 'counted'; id: number; tokens?: number; error?: ThreadError }
  | { type: 'embedded'; id: number; result?: EmbeddingResult; error?: ThreadError }
  | { type: 'stats'; stats: EngineStats }
  | { type: 'stopped' };
