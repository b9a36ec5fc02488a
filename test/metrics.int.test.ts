import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from './helpers/prometheus-text.js';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

describe('/metrics after known traffic', () => {
  let spool: Spool;
  let worker: InProcessWorker;
  let text: string;
  const usages: { prompt_tokens: number; completion_tokens: number }[] = [];

  beforeAll(async () => {
    spool = await startSpool();
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
    const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 4, temperature: 0 };
    for (let index = 0; index < 3; index += 1) usages.push((await spool.client.chat.completions.create({ ...request, seed: index })).usage!);
    const stream = await spool.client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    usages.push((await spool.client.completions.create({ model: MODEL, prompt: 'The cat', max_tokens: 3, temperature: 0 })).usage!);
    await expect(spool.client.chat.completions.create({ model: MODEL, messages: [] })).rejects.toMatchObject({ status: 400 });
    await expect(spool.client.chat.completions.create({ ...request, model: 'no-such-model' })).rejects.toMatchObject({ status: 404 });
    expect((await fetch(`${spool.url}/no/such/route`)).status).toBe(404);
    spool.api.deps.metrics.setBatchSource(() => [{ id: 'batch_a', status: 'in_progress', total: 10, completed: 6, failed: 1 }]);
    const response = await fetch(`${spool.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await response.text();
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  it('counts requests by method, route template, status and model', () => {
    expect(sample(text, 'spool_requests_total', { method: 'POST', route: '/v1/chat/completions', status: '200', model: MODEL })).toBe(4);
    expect(sample(text, 'spool_requests_total', { method: 'POST', route: '/v1/completions', status: '200', model: MODEL })).toBe(1);
    expect(sample(text, 'spool_requests_total', { route: '/v1/chat/completions', status: '400' })).toBe(1);
    expect(sample(text, 'spool_requests_total', { route: '/v1/chat/completions', status: '404' })).toBe(1);
    expect(sample(text, 'spool_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(text, 'spool_request_duration_seconds_count', { route: '/v1/chat/completions', model: MODEL })).toBe(4);
  });

  it('adds up the prompt and generated tokens the clients were told', () => {
    expect(usages).toHaveLength(5);
    const sum = (key: 'prompt_tokens' | 'completion_tokens') => usages.reduce((total, usage) => total + usage[key], 0);
    expect(sample(text, 'spool_generation_tokens_total', { model: MODEL })).toBe(sum('completion_tokens'));
    expect(sample(text, 'spool_prompt_tokens_total', { model: MODEL })).toBe(sum('prompt_tokens'));
  });

  it('observes time to first token once per generation and inter-token latency where more than one token came', () => {
    expect(sample(text, 'spool_time_to_first_token_seconds_count', { model: MODEL })).toBe(5);
    expect(sample(text, 'spool_time_to_first_token_seconds_sum', { model: MODEL })).toBeGreaterThan(0);
    const multiToken = usages.filter((usage) => usage.completion_tokens > 1).length;
    expect(multiToken).toBeGreaterThan(0);
    expect(sample(text, 'spool_inter_token_latency_seconds_count', { model: MODEL })).toBe(multiToken);
  });

  it('counts errors by OpenAI error type and status', () => {
    expect(sample(text, 'spool_errors_total', { type: 'invalid_request_error', status: '400' })).toBe(1);
    expect(sample(text, 'spool_errors_total', { type: 'invalid_request_error', status: '404' })).toBe(2);
  });

  it('reads queue depths, worker slots and engine memory at scrape time', async () => {
    const workerId = worker.worker.id;
    // The worker's slots: the main context's and the llama.cpp priority lane's.
    expect(sample(text, 'spool_worker_slots', { worker: workerId, model: MODEL })).toBe(spool.config.MODEL_SLOTS + spool.config.MODEL_PRIORITY_SLOTS);
    expect(sample(text, 'spool_worker_engine_memory_bytes', { worker: workerId, kind: 'ram' })).toBeGreaterThan(0);
    expect(sample(text, 'spool_worker_info', { worker: workerId, gpus: '' })).toBe(1);
    // The last job may still be finishing in BullMQ, and heartbeats lag: later scrapes settle at zero.
    await expect
      .poll(
        async () => {
          const fresh = await (await fetch(`${spool.url}/metrics`)).text();
          return ['waiting', 'active', 'delayed']
            .map((state) => sample(fresh, 'spool_queue_jobs', { model: MODEL, state }))
            .concat(sample(fresh, 'spool_worker_slots_busy', { worker: workerId, model: MODEL }));
        },
        { timeout: 10_000, interval: 200 },
      )
      .toEqual([0, 0, 0, 0]);
  });

  it('reports batch lines by state from the batch hook', () => {
    expect(sample(text, 'spool_batch_lines', { state: 'completed' })).toBe(6);
    expect(sample(text, 'spool_batch_lines', { state: 'failed' })).toBe(1);
    expect(sample(text, 'spool_batch_lines', { state: 'pending' })).toBe(3);
  });

  it('shows no cache traffic while no cache answers (the cache sets res.locals.cache)', () => {
    expect(sample(text, 'spool_cache_misses_total')).toBe(0);
    expect(sample(text, 'spool_cache_hits_total', { level: 'l1' })).toBe(0);
  });
});
