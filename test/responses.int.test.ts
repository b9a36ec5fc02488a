import { Ajv } from 'ajv';
import OpenAI from 'openai';
import type { Response as OpenAIResponse, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLines, jsonl, uploadBatchFile, waitForBatch } from './helpers/batch-files.js';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const weatherParameters = {
  type: 'object',
  properties: { city: { type: 'string', maxLength: 12 }, days: { type: 'integer', minimum: 1, maximum: 14 } },
  required: ['city', 'days'],
  additionalProperties: false,
};
const weatherTool = { type: 'function' as const, name: 'get_weather', description: 'Weather forecast', parameters: weatherParameters, strict: true };
const ajv = new Ajv({ strict: false });

async function collect(stream: AsyncIterable<ResponseStreamEvent>, stopAfter?: number): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    if (stopAfter !== undefined && events.length >= stopAfter) break;
  }
  return events;
}

const deltasOf = (events: ResponseStreamEvent[]) => events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : [])).join('');

async function waitUntilEnded(client: OpenAI, id: string, timeoutMs = 60_000): Promise<OpenAIResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await client.responses.retrieve(id);
    if (response.status !== 'queued' && response.status !== 'in_progress') return response;
    if (Date.now() > deadline) throw new Error(`response ${id} still ${response.status}`);
    await sleep(50);
  }
}

describe('the Responses API', () => {
  let spool: Spool;
  let worker: InProcessWorker;

  beforeAll(async () => {
    // Two slots and no priority lane: a third background response waits (the cancel test needs one
    // queued); a forced call's schema note needs more than the default context.
    spool = await startSpool({ MODEL_SLOTS: '2', MODEL_PRIORITY_SLOTS: '0', MODEL_CONTEXT_SIZE: '1024' });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  it('answers a string input with a response: one assistant message, usage, and the SDK output_text', async () => {
    const response = await spool.client.responses.create({ model: MODEL, input: 'Once upon a time', max_output_tokens: 40, temperature: 0 });
    expect(response).toMatchObject({ object: 'response', model: MODEL, error: null, store: true, background: false });
    // The tiny model may or may not stop before the limit; the status says which.
    const cut = response.usage!.output_tokens === 40;
    expect(response.status).toBe(cut ? 'incomplete' : 'completed');
    expect(response.id).toMatch(/^resp_/);
    expect(response.output).toHaveLength(1);
    const message = response.output[0]!;
    expect(message).toMatchObject({ type: 'message', role: 'assistant', status: cut ? 'incomplete' : 'completed' });
    expect(message.type === 'message' && message.content[0]).toMatchObject({ type: 'output_text', annotations: [] });
    expect(response.output_text.length).toBeGreaterThan(0);
    const usage = response.usage!;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    // Stored by default: the same object comes back.
    const retrieved = await spool.client.responses.retrieve(response.id);
    expect(retrieved.output).toEqual(response.output);
    expect(retrieved.usage).toEqual(response.usage);
  });

  it('marks a response cut short by max_output_tokens incomplete with the reason', async () => {
    const response = await spool.client.responses.create({
      model: MODEL,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Tell me a long story' }] }],
      instructions: 'You tell stories.',
      max_output_tokens: 16,
      temperature: 1,
    });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.usage!.output_tokens).toBe(16);
    expect(response.instructions).toBe('You tell stories.');
  });

  it('streams the typed events in order, numbered from 0, whose deltas make the final text', async () => {
    const stream = await spool.client.responses.create({ model: MODEL, input: 'Tell me a story', max_output_tokens: 40, temperature: 0, stream: true });
    const events = await collect(stream);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const types = events.map((event) => event.type);
    const last = events.at(-1)!;
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', last.type]);
    expect(['response.completed', 'response.incomplete']).toContain(last.type);
    const final = (last as { response: OpenAIResponse }).response;
    const text = deltasOf(events);
    expect(text.length).toBeGreaterThan(0);
    expect(final.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text }] });
    const done = events.find((event) => event.type === 'response.output_text.done');
    expect(done).toMatchObject({ text, output_index: 0, content_index: 0, item_id: final.output[0]!.id });
    // The stored response equals what the stream ended with.
    const retrieved = await spool.client.responses.retrieve(final.id);
    expect(retrieved.output).toEqual(final.output);
  });

  it('cancels a streamed response whose client leaves, and logs the tokens generated before it left', async () => {
    const metrics = spool.api.deps.metrics;
    const before = metrics.snapshot();
    const controller = new AbortController();
    const stream = await spool.client.responses.create(
      { model: MODEL, input: 'Tell me a long story', max_output_tokens: 900, stream: true },
      { signal: controller.signal },
    );
    let deltas = 0;
    let id = '';
    try {
      for await (const event of stream) {
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') deltas += 1;
        if (deltas === 5) controller.abort();
      }
    } catch {
      // The SDK throws once its request is aborted.
    }
    const deadline = Date.now() + 10_000;
    let after = metrics.snapshot();
    while (after.requests === before.requests && Date.now() < deadline) {
      await sleep(100);
      after = metrics.snapshot();
    }
    const generated = after.tokensGenerated - before.tokensGenerated;
    expect(generated).toBeGreaterThanOrEqual(5);
    expect(generated).toBeLessThan(900);
    expect((await waitUntilEnded(spool.client, id)).status).toBe('cancelled');
  });

  it('runs a background response, and resumes its event stream from starting_after with nothing lost or repeated', async () => {
    const queued = await spool.client.responses.create({ model: MODEL, input: 'Tell me a story', max_output_tokens: 80, temperature: 1, background: true });
    expect(queued).toMatchObject({ status: 'queued', background: true, output: [] });
    const head = await collect(await spool.client.responses.retrieve(queued.id, { stream: true }), 6);
    expect(head.map((event) => event.sequence_number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(head[0]).toMatchObject({ type: 'response.created', response: { id: queued.id } });
    const tail = await collect(await spool.client.responses.retrieve(queued.id, { stream: true, starting_after: 5 }));
    expect(tail.map((event) => event.sequence_number)).toEqual(tail.map((_, index) => 6 + index));
    const whole = [...head, ...tail];
    const final = await waitUntilEnded(spool.client, queued.id);
    expect(['completed', 'incomplete']).toContain(final.status);
    expect(deltasOf(whole)).toBe(final.output_text);
    expect((whole.at(-1) as { response: OpenAIResponse }).response.output).toEqual(final.output);
    // A replay after the end gives exactly the same events.
    const replay = await collect(await spool.client.responses.retrieve(queued.id, { stream: true }));
    expect(replay).toEqual(whole);
    // The job behind it is the async job of the same id, and its event stream is the same stream.
    const job = (await spool.client.get(`/jobs/${queued.id}`)) as { endpoint: string; status: string; result: { output: unknown[] } };
    expect(job).toMatchObject({ endpoint: '/v1/responses', status: 'completed' });
    expect(job.result.output).toEqual(final.output);
    const jobEvents = await collect((await spool.client.get(`/jobs/${queued.id}/events`, { stream: true, query: { starting_after: '5' } })) as never);
    expect(jobEvents).toEqual(tail);

    // Another API replica (same Redis) serves the same stream, resumed by Last-Event-ID.
    const replica = await startSpool({ REDIS_PREFIX: spool.config.REDIS_PREFIX });
    try {
      const fromReplica = await collect(await replica.client.responses.retrieve(queued.id, { stream: true }, { headers: { 'Last-Event-ID': '5' } }));
      expect(fromReplica).toEqual(tail);
    } finally {
      // Only its API: closing the whole harness would delete the keys this test run shares.
      await replica.api.close();
    }
  });

  it('answers an error before any output with its HTTP status, streamed or not, and keeps no response', async () => {
    const tooLong = { model: MODEL, input: 'Once upon a time there was a little girl. '.repeat(200), max_output_tokens: 10 };
    await expect(spool.client.responses.create(tooLong)).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
    await expect(spool.client.responses.create({ ...tooLong, stream: true })).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
    const jobs = (await spool.client.get('/jobs', { query: { limit: 100 } })) as { data: { id: string; status: string }[] };
    expect(jobs.data.filter((job) => job.status === 'failed')).toEqual([]);
  });

  it('streams a background response live from its creation', async () => {
    const stream = await spool.client.responses.create({ model: MODEL, input: 'Hello', max_output_tokens: 12, background: true, stream: true });
    const events = await collect(stream);
    expect(events[0]).toMatchObject({ type: 'response.created', sequence_number: 0, response: { status: 'queued', background: true } });
    expect(['response.completed', 'response.incomplete']).toContain(events.at(-1)!.type);
  });

  it('cancels background responses: a running one stops, a waiting one leaves the queue; a synchronous one cannot be cancelled', async () => {
    const started = await Promise.all(
      [0, 1, 2].map(() => spool.client.responses.create({ model: MODEL, input: 'Once upon a time', max_output_tokens: 900, temperature: 1, background: true })),
    );
    // Two slots: two run (their streams have begun), the third waits.
    await collect(await spool.client.responses.retrieve(started[0]!.id, { stream: true }), 4);
    await collect(await spool.client.responses.retrieve(started[1]!.id, { stream: true }), 6);
    // Polled while running: the output so far, its items still in progress.
    const running = await spool.client.responses.retrieve(started[1]!.id);
    expect(running.status).toBe('in_progress');
    expect(running.output[0]).toMatchObject({ type: 'message', status: 'in_progress' });
    const cancelled = await Promise.all(started.map((response) => spool.client.responses.cancel(response.id)));
    expect(cancelled.map((response) => response.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    const deadline = Date.now() + 5000;
    while (worker.engine.stats().busySlots > 0 && Date.now() < deadline) await sleep(20);
    expect(worker.engine.stats().busySlots).toBe(0);
    const events = await collect(await spool.client.responses.retrieve(started[0]!.id, { stream: true }));
    expect(events.at(-1)).toMatchObject({ type: 'response.failed', response: { status: 'cancelled' } });

    const sync = await spool.client.responses.create({ model: MODEL, input: 'Hi', max_output_tokens: 4 });
    await expect(spool.client.responses.cancel(sync.id)).rejects.toMatchObject({ status: 400, code: 'not_background' });
  });

  it('continues a conversation with previous_response_id, and lists the earlier turn among the input items', async () => {
    const first = await spool.client.responses.create({
      model: MODEL,
      input: 'Lily had a red ball.',
      instructions: 'Be brief.',
      max_output_tokens: 10,
      temperature: 0,
    });
    const second = await spool.client.responses.create({
      model: MODEL,
      input: 'What did Lily have?',
      previous_response_id: first.id,
      max_output_tokens: 10,
      temperature: 0,
    });
    expect(second.previous_response_id).toBe(first.id);
    // The earlier turn is in the prompt: more input tokens than the question alone.
    const alone = await spool.client.responses.create({ model: MODEL, input: 'What did Lily have?', max_output_tokens: 10, temperature: 0 });
    expect(second.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens);

    const items = await spool.client.responses.inputItems.list(second.id, { order: 'asc' });
    expect(items.data.map((item) => item.type)).toEqual(['message', 'message', 'message']);
    expect(items.data[0]).toMatchObject({ role: 'user', content: [{ type: 'input_text', text: 'Lily had a red ball.' }] });
    expect(items.data[1]).toMatchObject({ role: 'assistant', id: first.output[0]!.id });
    expect(items.data[2]).toMatchObject({ role: 'user', content: [{ type: 'input_text', text: 'What did Lily have?' }] });
    const newestFirst = await spool.client.responses.inputItems.list(second.id, { limit: 1 });
    expect(newestFirst.data[0]!.id).toBe(items.data[2]!.id);
    expect(newestFirst.has_more).toBe(true);

    await expect(spool.client.responses.create({ model: MODEL, input: 'x', previous_response_id: 'resp_unknown' })).rejects.toMatchObject({
      status: 400,
      param: 'previous_response_id',
    });
  });

  it('makes a forced function call, streamed as argument deltas, and takes its output back in the next turn', async () => {
    const stream = await spool.client.responses.create({
      model: MODEL,
      input: 'What is the weather in Paris?',
      tools: [weatherTool],
      tool_choice: { type: 'function', name: 'get_weather' },
      max_output_tokens: 120,
      temperature: 0.8,
      stream: true,
    });
    const events = await collect(stream);
    const final = (events.at(-1) as { response: OpenAIResponse }).response;
    expect(events.at(-1)!.type).toBe('response.completed');
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call.call_id).toMatch(/^call_/);
    expect(ajv.validate(weatherParameters, JSON.parse(call.arguments))).toBe(true);
    const argumentDeltas = events.flatMap((event) => (event.type === 'response.function_call_arguments.delta' ? [event.delta] : []));
    expect(argumentDeltas.join('')).toBe(call.arguments);
    expect(events.find((event) => event.type === 'response.function_call_arguments.done')).toMatchObject({
      arguments: call.arguments,
      name: 'get_weather',
      item_id: call.id,
    });

    const answer = await spool.client.responses.create({
      model: MODEL,
      previous_response_id: final.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"forecast":"sunny"}' }],
      tools: [weatherTool],
      tool_choice: 'none',
      max_output_tokens: 12,
    });
    expect(answer.status).not.toBe('failed');
    expect(answer.output.every((item) => item.type === 'message')).toBe(true);
    const items = await spool.client.responses.inputItems.list(answer.id, { order: 'asc' });
    expect(items.data.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call_output']);
  });

  it('takes a whole function-call round trip as input items without a stored turn', async () => {
    const response = await spool.client.responses.create({
      model: MODEL,
      store: false,
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","days":1}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
      tools: [weatherTool],
      max_output_tokens: 8,
    });
    expect((response as { store?: boolean }).store).toBe(false);
    await expect(spool.client.responses.retrieve(response.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('constrains text.format json_schema output to JSON that validates against the schema', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 10 }, age: { type: 'integer', minimum: 1, maximum: 9 } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const response = await spool.client.responses.create({
      model: MODEL,
      input: 'A child',
      text: { format: { type: 'json_schema', name: 'child', schema, strict: true } },
      max_output_tokens: 80,
    });
    expect(response.status).toBe('completed');
    expect(ajv.validate(schema, JSON.parse(response.output_text))).toBe(true);
    expect(response.text).toMatchObject({ format: { type: 'json_schema', name: 'child' } });
  });

  it('deletes a stored response', async () => {
    const response = await spool.client.responses.create({ model: MODEL, input: 'Hi', max_output_tokens: 4 });
    await spool.client.responses.delete(response.id);
    await expect(spool.client.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
    await expect(spool.client.responses.delete(response.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('runs batch lines whose url is /v1/responses: each output body is a response object, a forced call included', async () => {
    const line = (customId: string, body: object) => ({
      custom_id: customId,
      method: 'POST',
      url: '/v1/responses',
      body: { model: MODEL, max_output_tokens: 60, ...body },
    });
    const lines = [
      line('text', { input: 'Once upon a time', instructions: 'Tell stories.' }),
      line('call', { input: 'Weather in Paris?', tools: [weatherTool], tool_choice: 'required' }),
      line('image', { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png' }] }] }),
    ];
    const file = await uploadBatchFile(spool.client, jsonl(lines.slice(0, 2)));
    const batch = await waitForBatch(
      spool.client,
      (await spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/responses', completion_window: '24h' })).id,
    );
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } });
    const output = new Map((await fileLines(spool.client, batch.output_file_id)).map((entry) => [entry.custom_id, entry.response!.body as OpenAIResponse]));
    expect(output.get('text')).toMatchObject({ object: 'response', output: [{ type: 'message', role: 'assistant' }], instructions: 'Tell stories.' });
    const call = output.get('call')!.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(ajv.validate(weatherParameters, JSON.parse((call as { arguments: string }).arguments))).toBe(true);

    const refused = await uploadBatchFile(spool.client, jsonl(lines.slice(2)));
    const failed = await waitForBatch(
      spool.client,
      (await spool.client.batches.create({ input_file_id: refused.id, endpoint: '/v1/responses', completion_window: '24h' })).id,
    );
    expect(failed.status).toBe('failed');
    expect(failed.errors?.data?.[0]).toMatchObject({ line: 1, param: 'body.input[0].content[0].type', message: expect.stringContaining('input_image') });
  });

  it('refuses built-in tools, image, file and audio input, and unknown item kinds with a 400 naming them', async () => {
    const refused = (body: object) => spool.client.responses.create({ model: MODEL, max_output_tokens: 4, ...body } as never);
    await expect(refused({ input: 'x', tools: [{ type: 'web_search' }] })).rejects.toMatchObject({
      status: 400,
      param: 'tools[0].type',
      message: expect.stringContaining("'web_search'"),
    });
    await expect(refused({ input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("'file_search'"),
    });
    await expect(refused({ input: 'x', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] })).rejects.toMatchObject({
      message: expect.stringContaining("'code_interpreter'"),
    });
    const image = {
      role: 'user',
      content: [
        { type: 'input_text', text: 'What is this?' },
        { type: 'input_image', image_url: 'https://example.com/a.png' },
      ],
    };
    await expect(refused({ input: [image] })).rejects.toMatchObject({
      status: 400,
      param: 'input[0].content[1].type',
      message: expect.stringContaining('images (input_image)'),
    });
    const audio = { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] };
    await expect(refused({ input: [audio] })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('audio') });
    await expect(refused({ input: [{ type: 'item_reference', id: 'msg_1' }] })).rejects.toMatchObject({ status: 400, param: 'input[0].type' });
    await expect(refused({ input: 'x', background: true, store: false })).rejects.toMatchObject({ status: 400, param: 'store' });
    await expect(
      refused({
        input: 'x',
        tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: { a: { type: 'string', pattern: '^(?=a)' } } } }],
      }),
    ).rejects.toMatchObject({
      status: 400,
      param: expect.stringMatching(/^tools\[0\]\.parameters/),
    });
  });
});
