import { createHistory, type History } from './metrics/history.js';
import { createPrometheusMetrics, type PrometheusMetrics, type RequestObservation } from './metrics/prometheus.js';

/** One finished request, as the request log sees it. */
export interface RequestRecord extends RequestObservation {
  requestId: string;
  errorCode?: string | null;
  errorMessage?: string;
}

/** A batch's progress, for the dashboard and `spool_batch_lines`; the batch API supplies them. */
export interface BatchProgress {
  id: string;
  status: string;
  total: number;
  completed: number;
  failed: number;
  createdAt?: number;
}
export type BatchSource = () => Promise<BatchProgress[]> | BatchProgress[];

/**
 * Everything the API counts about its requests, fed by one `record` per request: Prometheus metrics,
 * the ten-minute live history of the dashboard, and totals for the periodic metrics log line.
 */
export interface RequestMetrics {
  record(entry: RequestRecord): void;
  /** Returns the totals and the interval's duration percentiles, then starts a new interval. */
  snapshot(): {
    requests: number;
    errors: number;
    errorsByType: Record<string, number>;
    promptTokens: number;
    tokensGenerated: number;
    cache: Record<string, number>;
    durationP50Ms: number | null;
    durationP95Ms: number | null;
  };
  readonly prometheus: PrometheusMetrics;
  readonly history: History;
  /** The batch API registers where its batches' progress comes from; until then there are none. */
  setBatchSource(source: BatchSource): void;
  batches(): Promise<BatchProgress[]>;
}

const percentile = (sorted: number[], fraction: number) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;

const DURATION_SAMPLES = 10_000;

export function createRequestMetrics(): RequestMetrics {
  const prometheus = createPrometheusMetrics();
  const history = createHistory();
  let batchSource: BatchSource = () => [];
  let requests = 0;
  let errors = 0;
  const errorsByType: Record<string, number> = {};
  let promptTokens = 0;
  let tokensGenerated = 0;
  let durations: number[] = [];
  let seen = 0;
  return {
    prometheus,
    history,
    record(entry) {
      const at = Date.now();
      requests += 1;
      if (entry.status >= 400) {
        errors += 1;
        const type = entry.errorType ?? 'unknown';
        errorsByType[type] = (errorsByType[type] ?? 0) + 1;
        history.recordError({
          at,
          requestId: entry.requestId,
          route: `${entry.method} ${entry.route}`,
          model: entry.model,
          status: entry.status,
          type,
          code: entry.errorCode ?? null,
          message: entry.errorMessage ?? '',
        });
      }
      promptTokens += entry.promptTokens;
      tokensGenerated += entry.completionTokens;
      // A reservoir: bounded memory even when no metrics log line ever takes a snapshot.
      seen += 1;
      if (durations.length < DURATION_SAMPLES) durations.push(entry.durationMs);
      else if (Math.random() < DURATION_SAMPLES / seen) durations[Math.floor(Math.random() * DURATION_SAMPLES)] = entry.durationMs;
      prometheus.observe(entry);
      history.record({ at, status: entry.status, completionTokens: entry.completionTokens, ttftMs: entry.ttftMs, cache: entry.cache });
    },
    snapshot() {
      const sorted = durations.sort((a, b) => a - b);
      durations = [];
      seen = 0;
      return {
        requests,
        errors,
        errorsByType: { ...errorsByType },
        promptTokens,
        tokensGenerated,
        cache: history.cacheCounts(),
        durationP50Ms: percentile(sorted, 0.5),
        durationP95Ms: percentile(sorted, 0.95),
      };
    },
    setBatchSource(source) {
      batchSource = source;
    },
    async batches() {
      return batchSource();
    },
  };
}
