import { describe, expect, it } from 'vitest';
import { sample } from '../../../test/helpers/prometheus-text.js';
import { createRequestMetrics, type RequestRecord } from './request-metrics.js';

const base: RequestRecord = {
  requestId: 'req_1',
  method: 'POST',
  route: '/v1/chat/completions',
  model: 'm',
  status: 200,
  durationMs: 120,
  promptTokens: 10,
  completionTokens: 5,
  ttftMs: 40,
  interTokenMs: 20,
};

describe('createRequestMetrics', () => {
  it('counts cache hits by level and misses from res.locals.cache', async () => {
    const metrics = createRequestMetrics();
    for (const cache of ['hit-l1', 'hit-l1', 'hit-l2', 'miss', 'miss', 'miss', undefined]) metrics.record({ ...base, cache });
    const text = await metrics.prometheus.registry.metrics();
    expect(sample(text, 'spool_cache_hits_total', { level: 'l1' })).toBe(2);
    expect(sample(text, 'spool_cache_hits_total', { level: 'l2' })).toBe(1);
    expect(sample(text, 'spool_cache_hits_total', { level: 'l3' })).toBe(0);
    expect(sample(text, 'spool_cache_misses_total')).toBe(3);
    expect(metrics.history.cacheCounts()).toEqual({ 'hit-l1': 2, 'hit-l2': 1, 'hit-l3': 0, miss: 3 });
    expect(metrics.snapshot().cache).toEqual({ 'hit-l1': 2, 'hit-l2': 1, 'hit-l3': 0, miss: 3 });
  });

  it('counts requests, tokens, latencies and errors, and keeps the errors for the dashboard', async () => {
    const metrics = createRequestMetrics();
    metrics.record(base);
    metrics.record({ ...base, requestId: 'req_2', completionTokens: 7, promptTokens: 3 });
    metrics.record({
      ...base,
      requestId: 'req_3',
      status: 429,
      completionTokens: 0,
      promptTokens: 0,
      ttftMs: undefined,
      interTokenMs: undefined,
      errorType: 'rate_limit_error',
      errorCode: 'queue_full',
      errorMessage: 'full',
    });
    const text = await metrics.prometheus.registry.metrics();
    expect(sample(text, 'spool_requests_total', { route: '/v1/chat/completions', status: '200', model: 'm' })).toBe(2);
    expect(sample(text, 'spool_requests_total', { status: '429' })).toBe(1);
    expect(sample(text, 'spool_generation_tokens_total', { model: 'm' })).toBe(12);
    expect(sample(text, 'spool_prompt_tokens_total', { model: 'm' })).toBe(13);
    expect(sample(text, 'spool_time_to_first_token_seconds_count', { model: 'm' })).toBe(2);
    expect(sample(text, 'spool_time_to_first_token_seconds_sum', { model: 'm' })).toBeCloseTo(0.08);
    expect(sample(text, 'spool_inter_token_latency_seconds_count', { model: 'm' })).toBe(2);
    expect(sample(text, 'spool_request_duration_seconds_count', { route: '/v1/chat/completions' })).toBe(3);
    expect(sample(text, 'spool_errors_total', { type: 'rate_limit_error', status: '429' })).toBe(1);
    expect(metrics.history.recentErrors()).toMatchObject([{ requestId: 'req_3', status: 429, type: 'rate_limit_error', code: 'queue_full' }]);
    expect(metrics.history.rates(1).requestsPerSecond).toBe(0);
    const snapshot = metrics.snapshot();
    expect(snapshot).toMatchObject({ requests: 3, errors: 1, errorsByType: { rate_limit_error: 1 }, tokensGenerated: 12, promptTokens: 13 });
  });

  it('reads batches from the hook the batch API registers, none before', async () => {
    const metrics = createRequestMetrics();
    expect(await metrics.batches()).toEqual([]);
    metrics.setBatchSource(async () => [{ id: 'batch_1', status: 'in_progress', total: 10, completed: 4, failed: 1 }]);
    expect(await metrics.batches()).toHaveLength(1);
  });
});
