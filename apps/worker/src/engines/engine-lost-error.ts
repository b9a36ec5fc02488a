/**
 * The engine went away under a running generation (its server crashed or the connection dropped).
 * Not the request's fault: the worker hands the job back to the queue so it runs again, here once
 * the engine is back or on another worker.
 */
export class EngineLostError extends Error {
  override name = 'EngineLostError';
}
