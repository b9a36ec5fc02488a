import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { BadRequestError, NotFoundError } from 'openai';
import { batchRedisNames } from '@spool/shared';
import { chatLines, fileLines, jsonl, uploadBatchFile, waitForBatch } from './helpers/batch-files.js';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

describe('batch files through the OpenAI Files and Batch API', () => {
  let spool: Spool;
  let worker: InProcessWorker;

  beforeAll(async () => {
    spool = await startSpool({ SPOOL_DATA_DIR: `/tmp/spool-test-${process.pid}-${Date.now()}`, FILES_MAX_BYTES: '100000', BATCH_MAX_LINES: '300' });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  it('runs a chat batch and answers every custom_id in the output file', async () => {
    const lines = chatLines(12, { model: MODEL, maxTokens: 8 });
    const file = await uploadBatchFile(spool.client, jsonl(lines));
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', bytes: Buffer.byteLength(jsonl(lines)), filename: 'input.jsonl' });
    expect((await spool.client.files.retrieve(file.id)).id).toBe(file.id);
    expect(await (await spool.client.files.content(file.id)).text()).toBe(jsonl(lines));

    const created = await spool.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id, metadata: { job: 'nightly' } });
    const batch = await waitForBatch(spool.client, created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 12, completed: 12, failed: 0 });
    for (const stamp of ['created_at', 'in_progress_at', 'finalizing_at', 'completed_at'] as const) expect(batch[stamp]).toBeGreaterThan(0);
    expect(batch.error_file_id).toBeNull();

    const output = await fileLines(spool.client, batch.output_file_id);
    expect(output.map((line) => line.custom_id).sort()).toEqual(lines.map((line: any) => line.custom_id).sort());
    for (const line of output) {
      expect(line.error).toBeNull();
      expect(line.response!.status_code).toBe(200);
      expect(line.response!.body.object).toBe('chat.completion');
      expect(line.response!.body.choices[0].message.content.length).toBeGreaterThan(0);
      expect(line.response!.body.usage.completion_tokens).toBeLessThanOrEqual(8);
    }
    const outputFile = await spool.client.files.retrieve(batch.output_file_id!);
    expect(outputFile.purpose).toBe('batch_output');

    const listed = await spool.client.batches.list({ limit: 5 });
    expect(listed.data.map((entry) => entry.id)).toContain(batch.id);
  });

  it('answers the same text in a batch as the synchronous route for the same request', async () => {
    const body = { model: MODEL, prompt: 'Once upon a time', max_tokens: 12, temperature: 0 };
    const sync = await spool.client.completions.create(body);
    const file = await uploadBatchFile(spool.client, jsonl([{ custom_id: 'only', method: 'POST', url: '/v1/completions', body }]));
    const batch = await waitForBatch(
      spool.client,
      (await spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/completions', completion_window: '24h' })).id,
    );
    const [line] = await fileLines(spool.client, batch.output_file_id);
    expect(line!.response!.body.object).toBe('text_completion');
    expect(line!.response!.body.choices[0].text).toBe(sync.choices[0]!.text);
    expect(line!.response!.body.usage).toEqual(sync.usage);
  });

  it('answers a line the worker refuses (too long for the model) as its synchronous route does: status 400 and the error body', async () => {
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'once upon a time '.repeat(300) }], max_tokens: 8 };
    const sync = (await spool.client.chat.completions.create(body).then(
      () => ({ status: 200, error: undefined }),
      (error: unknown) => error,
    )) as { status: number; error: unknown };
    expect(sync.status).toBe(400);
    const file = await uploadBatchFile(spool.client, jsonl([{ custom_id: 'too-long', method: 'POST', url: '/v1/chat/completions', body }]));
    const batch = await waitForBatch(
      spool.client,
      (await spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id,
    );
    expect(batch.request_counts).toEqual({ total: 1, completed: 0, failed: 1 });
    const [line] = await fileLines(spool.client, batch.error_file_id);
    expect(line!.custom_id).toBe('too-long');
    expect(line!.error).toBeNull();
    expect(line!.response!.status_code).toBe(400);
    expect(line!.response!.body).toEqual({ error: sync.error });
    expect(line!.response!.body.error.code).toBe('context_length_exceeded');
  });

  it('fails validation of a bad file with errors that name each bad line', async () => {
    const good = chatLines(2, { model: MODEL, maxTokens: 4 });
    const file = await uploadBatchFile(
      spool.client,
      jsonl([
        good[0]!,
        '{"custom_id": "broken", ',
        good[0]!,
        { ...(good[1] as object), custom_id: 'wrong-url', url: '/v1/embeddings' },
        { custom_id: 'no-model', method: 'POST', url: '/v1/chat/completions', body: { model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] } },
        { custom_id: 'bad-body', method: 'POST', url: '/v1/chat/completions', body: { model: MODEL, messages: [] } },
      ]),
    );
    const created = await spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const batch = await waitForBatch(spool.client, created.id);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).toBeGreaterThan(0);
    const errors = batch.errors!.data!;
    expect(errors.map((error) => [error.line, error.code])).toEqual([
      [2, 'invalid_json_line'],
      [3, 'duplicate_custom_id'],
      [4, 'mismatched_url'],
      [5, 'model_not_found'],
      [6, 'invalid_request'],
    ]);
    expect(errors[1]!.message).toContain('line 1');
    expect(errors[4]!.param).toBe('body.messages');
  });

  it('refuses bad requests to the Files and Batch API with OpenAI errors', async () => {
    await expect(
      spool.client.batches.create({ input_file_id: 'file-missing', endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const file = await uploadBatchFile(spool.client, jsonl(chatLines(1, { model: MODEL, maxTokens: 4 })));
    await expect(spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_endpoint',
    });
    await expect(spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/completions', completion_window: '1h' as '24h' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    await expect(spool.client.batches.retrieve('batch_nope')).rejects.toBeInstanceOf(NotFoundError);
    const deleted = await spool.client.files.delete(file.id);
    expect(deleted).toEqual({ id: file.id, object: 'file', deleted: true });
    await expect(spool.client.files.retrieve(file.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses uploads over the size or line limit, or without purpose batch, and keeps none of them', async () => {
    const before = (await spool.client.files.list()).data.length;
    await expect(uploadBatchFile(spool.client, 'x'.repeat(100_001))).rejects.toMatchObject({ status: 413, code: 'file_too_large' });
    await expect(uploadBatchFile(spool.client, jsonl(chatLines(301, { model: MODEL, maxTokens: 1 })))).rejects.toMatchObject({
      status: 413,
      code: 'too_many_lines',
    });
    const { toFile } = await import('openai');
    await expect(spool.client.files.create({ file: await toFile(Buffer.from('{}\n'), 'a.jsonl'), purpose: 'fine-tune' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_purpose',
    });
    const response = await fetch(`${spool.url}/v1/files`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_content_type');
    expect((await spool.client.files.list()).data.length).toBe(before);
  });

  it('cancels a running batch and keeps the partial results', async () => {
    const lines = chatLines(200, { model: MODEL, maxTokens: 200, prefix: 'long' });
    const file = await uploadBatchFile(spool.client, jsonl(lines));
    const created = await spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await waitForBatch(spool.client, created.id, (batch) => (batch.request_counts?.completed ?? 0) >= 2);
    const cancelling = await spool.client.batches.cancel(created.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const batch = await waitForBatch(spool.client, created.id);
    expect(batch.status).toBe('cancelled');
    expect(batch.cancelling_at).toBeGreaterThan(0);
    expect(batch.cancelled_at).toBeGreaterThan(0);
    const output = await fileLines(spool.client, batch.output_file_id);
    expect(output.length).toBe(batch.request_counts!.completed);
    expect(output.length).toBeGreaterThanOrEqual(2);
    expect(output.length).toBeLessThan(200);
    expect(new Set(output.map((line) => line.custom_id)).size).toBe(output.length);
    await expect(spool.client.batches.cancel(created.id)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('expires a batch at its deadline: answers kept, every unfinished line in the error file', async () => {
    const lines = chatLines(150, { model: MODEL, maxTokens: 200, prefix: 'late' });
    const file = await uploadBatchFile(spool.client, jsonl(lines));
    const created = await spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await waitForBatch(spool.client, created.id, (batch) => (batch.request_counts?.completed ?? 0) >= 2);
    // Move the deadline to now, as if 24 hours had passed.
    const redis = new Redis(spool.config.REDIS_URL);
    await redis.hset(batchRedisNames(spool.config.REDIS_PREFIX).batch(created.id), 'expires_at', String(Math.floor(Date.now() / 1000)));
    redis.disconnect();
    const batch = await waitForBatch(spool.client, created.id);
    expect(batch.status).toBe('expired');
    expect(batch.expired_at).toBeGreaterThan(0);
    const output = await fileLines(spool.client, batch.output_file_id);
    const errors = await fileLines(spool.client, batch.error_file_id);
    expect(output.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set([...output, ...errors].map((line) => line.custom_id))).toEqual(new Set(lines.map((line: any) => line.custom_id)));
    expect(output.length + errors.length).toBe(150);
    for (const line of errors) expect(line.error!.code).toBe('batch_expired');
  });

  it('lists batches newest first, a page at a time', async () => {
    const first = await spool.client.batches.list({ limit: 2 });
    expect(first.data.length).toBe(2);
    expect(first.data[0]!.created_at).toBeGreaterThanOrEqual(first.data[1]!.created_at);
    expect(first.hasNextPage()).toBe(true);
    const second = await first.getNextPage();
    expect(second.data.length).toBeGreaterThan(0);
    expect(second.data.map((batch) => batch.id)).not.toContain(first.data[0]!.id);
    expect(second.data.map((batch) => batch.id)).not.toContain(first.data[1]!.id);
    await expect(spool.client.batches.list({ limit: 101 })).rejects.toMatchObject({ status: 400 });
  });
});
