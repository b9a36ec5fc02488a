/** This worker's attempt at a job lost the job's BullMQ lock (it stalled past JOB_LOCK_MS): the job is someone else's now. */
export class LockLostError extends Error {
  override name = 'LockLostError';
  constructor(jobId: string) {
    super(`The lock of job ${jobId} was lost; this attempt was abandoned.`);
  }
}
