import { z } from 'zod';

const flag = z.union([z.boolean(), z.string()]).transform((value) => value === true || /^(1|true|yes|on)$/i.test(String(value)));

/** Settings of uploaded files and the Batch API. */
export const batchSettings = {
  /** Largest accepted upload, in bytes (OpenAI's batch limit: 200 MB). */
  FILES_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(200 * 1024 * 1024),
  /** Most request lines in one batch input file (OpenAI's: 50,000). */
  BATCH_MAX_LINES: z.coerce.number().int().positive().default(50_000),
  /** Whether this API process also runs batch coordinators (consumers of the `batch` queue). */
  BATCH_COORDINATOR: flag.default(true),
  /** Batches one coordinator process runs at the same time. */
  BATCH_CONCURRENCY: z.coerce.number().int().positive().default(4),
  /**
   * Slots of each worker that a batch leaves free, so an interactive request starts at once instead
   * of waiting for batch lines to end. 0 gives every slot to the batch and keeps a second round of
   * lines queued: the most throughput, for workers that serve batches alone.
   */
  BATCH_FREE_SLOTS: z.coerce.number().int().nonnegative().default(1),
  /**
   * Batch lines a worker holds ready beyond the slots batch lines may use, so the next line starts
   * the moment one ends instead of after a round trip through the coordinator and the queue.
   * Workers and coordinators must agree on it (and on BATCH_FREE_SLOTS).
   */
  BATCH_PREFETCH: z.coerce.number().int().nonnegative().default(4),
  /**
   * At API start, bytes in the data folder with no Redis record and no sidecar are removed only when
   * untouched this long (seconds): younger ones may be an upload another replica is writing.
   */
  DATA_RECONCILE_GRACE_S: z.coerce.number().int().nonnegative().default(3600),
  /** Where the `spool batch` client finds the API. */
  SPOOL_URL: z.string().url().default('http://127.0.0.1:8000'),
  /** Bearer token the `spool batch` client sends (unset: none, for AUTH_DISABLED servers). */
  SPOOL_API_KEY: z.string().optional(),
};
