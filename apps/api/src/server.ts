import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createLogger, loadModelSpecs, logRedisConnection, requestRedisOptions, WAITING_REDIS_OPTIONS, type Config, type Logger } from '@spool/shared';
import { createApp } from './app.js';
import { checkAuthConfig } from './middleware/security.js';
import { createResponseCache } from './cache/response-cache.js';
import { watchBatches } from './batch/batch-progress.js';
import { startBatchCoordinator } from './batch/coordinator.js';
import type { ApiDeps } from './deps.js';
import { createDrain } from './http/drain.js';
import { registerHttpGauges } from './http/http-gauges.js';
import { createHttpServer } from './http/http-server.js';
import { trackInFlight } from './http/in-flight.js';
import { createEventLogReader } from './jobs/event-log-reader.js';
import { startMetricsLog } from './metrics-log.js';
import { createJobChannels } from './queue/job-channel.js';
import { createJobClient } from './queue/job-client.js';
import { closeQueueSet } from './queue/queue-set.js';
import { startQueuedTokensReconcile } from './queue/queued-tokens-reconcile.js';
import { reconcileDataDir } from './recovery/reconcile-data-dir.js';
import { createSpoolFunctions } from './functions/setup.js';
import { createRequestMetrics } from './request-metrics.js';
import { createWorkerRegistry } from './worker-registry.js';

export interface RunningApi {
  url: string;
  deps: ApiDeps;
  /**
   * Drains (no new connections, in-flight requests finish within `graceMs`, default
   * SHUTDOWN_GRACE_MS, and what is left ends with a clean 503), then closes every connection to
   * Redis. Resolves once all of it is done.
   */
  close(graceMs?: number): Promise<void>;
}

/** Builds the API's dependencies from config and listens on API_HOST:API_PORT. */
export async function startApi(config: Config, logger?: Logger): Promise<RunningApi> {
  checkAuthConfig(config);
  logger ??= createLogger({ name: 'spool-api', level: config.LOG_LEVEL, logPrompts: config.LOG_PROMPTS });
  // The request path's connections fail fast while Redis is away (see redis-connection.ts); start-up
  // waits for both to be ready, since a fail-fast connection refuses commands until it is. Named by
  // the deployment's prefix, so CLIENT LIST tells each replica's connections apart.
  const connectionName = `${config.REDIS_PREFIX}-api`;
  const redis = new Redis(config.REDIS_URL, { ...requestRedisOptions(config), enableAutoPipelining: true, connectionName });
  const subscriber = redis.duplicate({ connectionName: `${connectionName}-subscriber` });
  logRedisConnection(redis, logger, 'api');
  logRedisConnection(subscriber, logger, 'api-subscriber');
  await Promise.all(
    [redis, subscriber].map((connection) => (connection.status === 'ready' ? Promise.resolve() : new Promise((resolve) => connection.once('ready', resolve)))),
  );
  const registry = createWorkerRegistry(redis, config);
  await registry.refresh();
  const models = loadModelSpecs(config);
  const drain = createDrain(logger);
  const base = {
    config,
    logger,
    redis,
    models,
    drain,
    jobs: createJobClient(redis, createJobChannels(subscriber), config, drain.expired),
    eventLog: createEventLogReader(redis, { connectionName: `${connectionName}-event-log` }),
    registry,
    metrics: createRequestMetrics(),
    cache: config.CACHE_POLICY === 'off' ? undefined : createResponseCache({ config, logger, models: () => models.map((spec) => spec.id) }),
  };
  const deps: ApiDeps = { ...base, functions: await createSpoolFunctions(base) };
  // Before serving, so a file or batch whose record Redis lost is back (or gone) by the first request.
  await reconcileDataDir(deps).catch((error: unknown) => logger.error({ err: error }, 'data reconcile failed; files or batches Redis lost may stay unseen'));
  // A coordinator answers no client: its commands wait out a Redis outage instead of failing an
  // attempt of the batch it drives.
  const coordinatorRedis = config.BATCH_COORDINATOR ? redis.duplicate({ ...WAITING_REDIS_OPTIONS, connectionName: `${connectionName}-batch` }) : undefined;
  coordinatorRedis?.on('error', () => undefined);
  const batches = coordinatorRedis ? await startBatchCoordinator({ ...deps, redis: coordinatorRedis }) : undefined;
  watchBatches(deps);
  const server = createHttpServer(createApp(deps), config);
  const inFlight = trackInFlight(server);
  registerHttpGauges(deps.metrics.prometheus.registry, inFlight);
  server.listen(config.API_PORT, config.API_HOST);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const stopMetricsLog = startMetricsLog(deps);
  const stopReconcile = startQueuedTokensReconcile(deps);
  const { port } = server.address() as AddressInfo;
  const host = config.API_HOST === '0.0.0.0' || config.API_HOST === '::' ? '127.0.0.1' : config.API_HOST;
  return {
    url: `http://${host}:${port}`,
    deps,
    async close(graceMs = config.SHUTDOWN_GRACE_MS) {
      // In-flight requests still need Redis, the queues and the worker registry: those close after.
      await drain.run(server, inFlight, graceMs);
      stopMetricsLog();
      stopReconcile();
      registry.stop();
      await batches?.close();
      coordinatorRedis?.disconnect();
      deps.eventLog.close();
      await deps.jobs.close();
      await closeQueueSet(deps);
      await deps.cache?.close();
      await deps.functions.close();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}
