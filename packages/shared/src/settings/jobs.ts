import { z } from 'zod';

/** Settings of async (background) jobs. */
export const jobsSettings = {
  /** Seconds a job's record, result and event log are kept after its last event. */
  JOB_RETENTION_S: z.coerce.number().int().positive().default(86_400),
  /** Events kept in one job's log at most (a safety cap; a generation writes far fewer). */
  JOB_EVENT_LOG_MAX: z.coerce.number().int().positive().default(100_000),
};
