import type { Redis } from 'ioredis';
import type { ResponseCache } from './cache/response-cache.js';
import type { Config, Logger, ModelSpec } from '@spool/shared';
import type { JobClient } from './queue/job-client.js';
import type { EventLogReader } from './jobs/event-log-reader.js';
import type { DrainState } from './http/drain.js';
import type { WorkerRegistry } from './worker-registry.js';
import type { RequestMetrics } from './request-metrics.js';
import type { LoadFailure } from './functions/loader.js';
import type { FunctionRegistry } from './functions/registry.js';

/** Everything the routes use, built once by the server (or by a test) and passed down. */
export interface ApiDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  models: ModelSpec[];
  jobs: JobClient;
  /** Follows async jobs' event logs for every stream of this process, on one connection. */
  eventLog: EventLogReader;
  /** Whether the server is shutting down, and the signal that ends what still runs at the end of its grace. */
  drain: DrainState;
  registry: WorkerRegistry;
  metrics: RequestMetrics;
  /** The response cache; absent, every request generates (deps built by hand in tests). */
  cache?: ResponseCache;
  functions: SpoolFunctions;
}

/** The callable functions: the built-ins and FUNCTIONS_DIR's modules. */
export interface SpoolFunctions {
  registry: FunctionRegistry;
  /** Modules of FUNCTIONS_DIR that were skipped. */
  loadFailures: LoadFailure[];
  /** Stops the plugin threads. */
  close(): Promise<void>;
}
