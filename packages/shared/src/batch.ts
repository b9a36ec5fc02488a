/**
 * Redis keys and the BullMQ queue of uploaded files and batches, under the deployment's prefix.
 * Keys never start with `batch:`: BullMQ owns that namespace for the `batch` queue's jobs.
 */
export function batchRedisNames(prefix: string) {
  return {
    /** BullMQ queue whose jobs are whole batches, each driven by one coordinator at a time. */
    batchQueue: 'batch',
    /** Hash of one file's metadata. */
    file: (fileId: string) => `${prefix}:file-object:${fileId}`,
    /** Sorted set (score: creation ms) of an owner's files. */
    filesOf: (owner: string) => `${prefix}:file-objects-of:${owner}`,
    /** Hash of one batch's state. */
    batch: (batchId: string) => `${prefix}:batch-object:${batchId}`,
    /** Sorted set (score: creation ms) of an owner's batches. */
    batchesOf: (owner: string) => `${prefix}:batch-objects-of:${owner}`,
  };
}
export type BatchRedisNames = ReturnType<typeof batchRedisNames>;

/** Endpoints a batch may target. */
export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/completions', '/v1/responses'] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

/** OpenAI's batch statuses, in the order a batch moves through them. */
export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

/** One entry of a batch's `errors.data`: a validation failure naming its input line (1-based). */
export interface BatchLineError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

/**
 * Slots a worker's batch lines may use: its slots less BATCH_FREE_SLOTS (at least 1; 0 free: every
 * slot), and never more than the engine can give batch lines (one keeping a lane for other work).
 */
export function batchSlotsOf(slots: number, engineBatchSlots: number | undefined, freeSlots: number): number {
  const allowed = freeSlots > 0 ? Math.max(1, slots - freeSlots) : slots;
  return Math.min(allowed, engineBatchSlots ?? slots);
}
