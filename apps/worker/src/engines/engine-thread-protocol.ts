import { SpoolError, type EngineStats, type GenerationEvent, type GenerationRequest } from '@spool/shared';

/** Messages from the worker's main thread to the engine thread. */
export type ToEngineThread =
  | { type: 'generate'; id: number; request: GenerationRequest }
  | { type: 'abort'; id: number }
  | { type: 'count'; id: number; request: GenerationRequest }
  | { type: 'stop' };

/** An error crossing the thread boundary: a SpoolError keeps its status and OpenAI fields. */
export type ThreadError = { message: string; spool?: { status: number; type: string; code: string | null; param: string | null } };

/** Messages from the engine thread: events go out in batches, one message per tick. */
export type FromEngineThread =
  | { type: 'started' }
  | { type: 'start-failed'; error: ThreadError }
  | { type: 'events'; items: { id: number; event: GenerationEvent }[] }
  | { type: 'done'; id: number; error?: ThreadError; stats: EngineStats }
  | { type: 'counted'; id: number; tokens?: number; error?: ThreadError }
  | { type: 'stats'; stats: EngineStats }
  | { type: 'stopped' };

export function toThreadError(error: unknown): ThreadError {
  if (error instanceof SpoolError) return { message: error.message, spool: { status: error.status, type: error.type, code: error.code, param: error.param } };
  return { message: error instanceof Error ? error.message : String(error) };
}

export function fromThreadError(error: ThreadError): Error {
  if (error.spool) return new SpoolError(error.spool.status, error.message, error.spool.type, error.spool.code, error.spool.param);
  return new Error(error.message);
}
