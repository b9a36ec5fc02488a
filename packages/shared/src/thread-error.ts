import { ContextLengthError, SpoolError } from './errors.js';

/** An error crossing a worker-thread boundary: a SpoolError keeps its status and OpenAI fields. */
export type ThreadError = { message: string; spool?: { status: number; type: string; code: string | null; param: string | null } };

/** Makes an error structured-cloneable for `postMessage`. */
export function toThreadError(error: unknown): ThreadError {
  if (error instanceof SpoolError) return { message: error.message, spool: { status: error.status, type: error.type, code: error.code, param: error.param } };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** The error again on the other side: a SpoolError when it was one. */
export function fromThreadError(error: ThreadError): Error {
  // The class callers test for; its OpenAI fields are fixed by the class.
  if (error.spool?.code === 'context_length_exceeded') return new ContextLengthError(error.message);
  if (error.spool) return new SpoolError(error.spool.status, error.message, error.spool.type, error.spool.code, error.spool.param);
  return new Error(error.message);
}
