import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** What the request log hands to Prometheus once per finished request. */
export interface RequestObservation {
  method: string;
  /** The route's template (`/v1/models/{*id}`), or `unmatched`: never the raw URL, to bound the label set. */
  route: string;
  model?: string;
  status: number;
  durationMs: number;
  promptTokens: number;
  completionTokens: number;
  ttftMs?: number;
  interTokenMs?: number;
  cache?: string;
  errorType?: string;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TOKEN_GAP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2.5];

/** The request-path metrics on a registry of their own (tests run several APIs in one process). */
export function createPrometheusMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'spool_requests_total',
    help: 'HTTP requests answered, by method, route template, status and model.',
    labelNames: ['method', 'route', 'status', 'model'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'spool_request_duration_seconds',
    help: 'Time from the request arriving to its response ending.',
    labelNames: ['route', 'model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const ttft = new Histogram({
    name: 'spool_time_to_first_token_seconds',
    help: 'Time from the request arriving to the first generated token.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const interToken = new Histogram({
    name: 'spool_inter_token_latency_seconds',
    help: 'Mean time per generated token after the first, one observation per request.',
    labelNames: ['model'] as const,
    buckets: TOKEN_GAP_BUCKETS,
    registers: [registry],
  });
  const promptTokens = new Counter({
    name: 'spool_prompt_tokens_total',
    help: 'Prompt tokens processed.',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const generatedTokens = new Counter({
    name: 'spool_generation_tokens_total',
    help: 'Tokens generated.',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const cacheHits = new Counter({
    name: 'spool_cache_hits_total',
    help: 'Responses served from the cache, by level (l1 memory, l2 Redis, l3 disk).',
    labelNames: ['level'] as const,
    registers: [registry],
  });
  const cacheMisses = new Counter({ name: 'spool_cache_misses_total', help: 'Cacheable requests the cache could not answer.', registers: [registry] });
  const errors = new Counter({
    name: 'spool_errors_total',
    help: 'Error responses, by OpenAI error type and status.',
    labelNames: ['type', 'status'] as const,
    registers: [registry],
  });
  for (const level of ['l1', 'l2', 'l3']) cacheHits.inc({ level }, 0);

  return {
    registry,
    observe(entry: RequestObservation): void {
      const model = entry.model ?? '';
      requests.inc({ method: entry.method, route: entry.route, status: String(entry.status), model });
      duration.observe({ route: entry.route, model }, entry.durationMs / 1000);
      if (entry.model !== undefined) {
        if (entry.promptTokens > 0) promptTokens.inc({ model }, entry.promptTokens);
        if (entry.completionTokens > 0) generatedTokens.inc({ model }, entry.completionTokens);
        if (entry.ttftMs !== undefined) ttft.observe({ model }, entry.ttftMs / 1000);
        if (entry.interTokenMs !== undefined) interToken.observe({ model }, entry.interTokenMs / 1000);
      }
      if (entry.cache === 'miss') cacheMisses.inc();
      else if (entry.cache?.startsWith('hit-')) cacheHits.inc({ level: entry.cache.slice(4) });
      if (entry.status >= 400) errors.inc({ type: entry.errorType ?? 'unknown', status: String(entry.status) });
    },
  };
}
export type PrometheusMetrics = ReturnType<typeof createPrometheusMetrics>;
