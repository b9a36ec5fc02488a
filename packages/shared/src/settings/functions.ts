import { z } from 'zod';

/** Settings of the server-side function registry and of `spool_execute_tools`. */
export const functionsSettings = {
  /** A directory of modules whose exported functions join the registry at start-up; unset loads none. */
  FUNCTIONS_DIR: z.string().optional(),
  /** Tool-execution rounds a `spool_execute_tools` request may run before it must answer in text. */
  FUNCTIONS_MAX_ROUNDS: z.coerce.number().int().min(1).max(20).default(4),
  /** Time limit of one function call unless the function sets its own. */
  FUNCTIONS_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** Worker threads that run FUNCTIONS_DIR's plugins, one call each at a time (a plugin never runs on the API's event loop). */
  FUNCTIONS_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  /** Largest JSON result of one function call (bytes) unless the function sets its own. */
  FUNCTIONS_MAX_RESULT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
};
