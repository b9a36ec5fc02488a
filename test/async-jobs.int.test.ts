import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncJobKeys, type AsyncJobObject } from '@spool/shared';
import { MODEL, REDIS_URL, startInProcessWorker, startSpool, startWorkerProcess, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

type Chunk = { sequence_number: number; object: string; choices: { index: number; delta?: { content?: string | null }; text?: string }[] };
type ChatResult = { object: string; choices: { message: { content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };

const story = (content: string) => [{ role: 'user' as const, content }];
const chunkText = (chunk: Chunk) => chunk.choices.map((choice) => choice.delta?.content ?? choice.text ?? '').join('');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a job's SSE events through the SDK's stream decoder; `stopAfter` drops the connection. */
async function readEvents(
  client: OpenAI,
  jobId: string,
  options: { headers?: Record<string, string>; query?: Record<string, string>; stopAfter?: number } = {},
) {
  const stream = (await client.get(`/jobs/${jobId}/events`, {
    stream: true,
    headers: options.headers,
    query: options.query,
  })) as unknown as AsyncIterable<Chunk>;
  const chunks: Chunk[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (options.stopAfter !== undefined && chunks.length >= options.stopAfter) break;
  }
  return chunks;
}

async function waitForStatus(client: OpenAI, jobId: string, done: (job: AsyncJobObject) => boolean, timeoutMs = 30_000): Promise<AsyncJobObject> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await client.get(`/jobs/${jobId}`)) as AsyncJobObject;
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
    await sleep(50);
  }
}
const ended = (job: AsyncJobObject) => !['queued', 'in_progress'].includes(job.status);

/** Asserts chunks are numbered one after another from `first`. */
function expectConsecutive(chunks: Chunk[], first: number) {
  expect(chunks.map((chunk) => chunk.sequence_number)).toEqual(chunks.map((_, index) => first + index));
}

describe('async jobs', () => {
  let spool: Spool;
  let worker: InProcessWorker;

  beforeAll(async () => {
    // Two slots and no priority lane: a third job waits, which the cancel test needs.
    spool = await startSpool({ MODEL_SLOTS: '2', MODEL_PRIORITY_SLOTS: '0' });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  it('answers Prefer: respond-async with 202 and a queued job that polls to the same answer as a synchronous call', async () => {
    const request = { model: MODEL, messages: story('Once upon a time'), max_tokens: 24, temperature: 0, seed: 3 };
    const { data, response } = await spool.client.chat.completions.create(request, { headers: { Prefer: 'respond-async' } }).withResponse();
    const job = data as unknown as AsyncJobObject;
    expect(response.status).toBe(202);
    expect(job).toMatchObject({ object: 'job', status: 'queued', model: MODEL, result: null, error: null });
    expect(job.id).toMatch(/^job_/);
    const done = await waitForStatus(spool.client, job.id, ended);
    expect(done.status).toBe('completed');
    const result = done.result as ChatResult;
    const sync = await spool.client.chat.completions.create(request);
    expect(result.object).toBe('chat.completion');
    expect(result.choices[0]!.message.content).toBe(sync.choices[0]!.message.content);
    expect(result.usage).toEqual(sync.usage);
  });

  it('accepts "background": true on legacy completions and lists the caller\'s jobs newest first, paged with limit and after', async () => {
    const ids: string[] = [];
    for (const prompt of ['One day', 'A cat', 'The sun']) {
      const job = (await spool.client.completions.create({ model: MODEL, prompt, max_tokens: 4, background: true } as never)) as unknown as AsyncJobObject;
      expect(job.endpoint).toBe('/v1/completions');
      ids.push(job.id);
      await sleep(5);
    }
    const first = (await spool.client.get('/jobs', { query: { limit: 2 } })) as { data: AsyncJobObject[]; has_more: boolean; last_id: string };
    expect(first.data.map((job) => job.id)).toEqual([ids[2], ids[1]]);
    expect(first.has_more).toBe(true);
    const second = (await spool.client.get('/jobs', { query: { limit: 2, after: first.last_id } })) as { data: AsyncJobObject[] };
    expect(second.data[0]!.id).toBe(ids[0]);
    const done = await waitForStatus(spool.client, ids[0]!, ended);
    expect(done.status).toBe('completed');
    expect((done.result as { object: string; choices: { text: string }[] }).object).toBe('text_completion');
  });

  it('cancels a running job (its slot frees) and removes a waiting one from the queue', async () => {
    const body = { model: MODEL, prompt: 'Once upon a time', max_tokens: 400, temperature: 1, background: true } as never;
    const jobs = await Promise.all([0, 1, 2].map(async () => (await spool.client.completions.create(body)) as unknown as AsyncJobObject));
    // Two slots: two jobs run (their streams have begun), the third waits.
    await readEvents(spool.client, jobs[0]!.id, { stopAfter: 3 });
    await readEvents(spool.client, jobs[1]!.id, { stopAfter: 3 });
    const waiting = (await Promise.all(jobs.map((job) => spool.client.get(`/jobs/${job.id}`)))) as AsyncJobObject[];
    expect(waiting.map((job) => job.status).sort()).toEqual(['in_progress', 'in_progress', 'queued']);

    const cancelled = await Promise.all(waiting.map((job) => spool.client.post(`/jobs/${job.id}/cancel`) as Promise<AsyncJobObject>));
    expect(cancelled.map((job) => job.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(cancelled[0]!.error?.code).toBe('cancelled');
    const deadline = Date.now() + 5000;
    while (worker.engine.stats().busySlots > 0 && Date.now() < deadline) await sleep(20);
    expect(worker.engine.stats().busySlots).toBe(0);
    // The event stream of a cancelled job ends with its error, which the SDK throws.
    await expect(readEvents(spool.client, jobs[0]!.id)).rejects.toMatchObject({ code: 'cancelled' });
    const again = (await spool.client.post(`/jobs/${jobs[2]!.id}/cancel`)) as AsyncJobObject;
    expect(again.status).toBe('cancelled');
  });

  it('resumes a live event stream after a dropped connection from Last-Event-ID and from ?starting_after with nothing lost or repeated', async () => {
    const job = (await spool.client.chat.completions.create(
      { model: MODEL, messages: story('Tell me a story'), max_tokens: 120, temperature: 1 },
      { headers: { Prefer: 'respond-async' } },
    )) as unknown as AsyncJobObject;
    const head = await readEvents(spool.client, job.id, { stopAfter: 6 });
    expectConsecutive(head, 0);
    expect(head[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant' });
    const lastId = String(head.at(-1)!.sequence_number);
    const tail = await readEvents(spool.client, job.id, { headers: { 'Last-Event-ID': lastId } });
    expectConsecutive(tail, head.length);

    const middle = await readEvents(spool.client, job.id, { stopAfter: 20 });
    const rest = await readEvents(spool.client, job.id, { query: { starting_after: String(middle.at(-1)!.sequence_number) } });
    expectConsecutive([...middle, ...rest], 0);

    const done = await waitForStatus(spool.client, job.id, ended);
    const content = (done.result as ChatResult).choices[0]!.message.content;
    expect(content.length).toBeGreaterThan(0);
    expect([...head, ...tail].map(chunkText).join('')).toBe(content);
    expect([...middle, ...rest].map(chunkText).join('')).toBe(content);
    expect(tail.at(-1)!.choices).toEqual([]);
    expect(tail.at(-2)!.choices[0]).toMatchObject({ finish_reason: (done.result as ChatResult).choices[0]!.finish_reason });
  });

  it('replays the whole event stream of an ended job and closes it', async () => {
    const job = (await spool.client.chat.completions.create({
      model: MODEL,
      messages: story('Hi'),
      max_tokens: 8,
      background: true,
    } as never)) as unknown as AsyncJobObject;
    const done = await waitForStatus(spool.client, job.id, ended);
    const replay = await readEvents(spool.client, job.id);
    expectConsecutive(replay, 0);
    expect(replay.map(chunkText).join('')).toBe((done.result as ChatResult).choices[0]!.message.content);
    const after = await readEvents(spool.client, job.id, { query: { starting_after: '2' } });
    expect(after).toEqual(replay.slice(3));
    // Resuming after the very last event of an ended job closes the stream at once, with nothing.
    const last = String(replay.at(-1)!.sequence_number);
    expect(await readEvents(spool.client, job.id, { headers: { 'Last-Event-ID': last } })).toEqual([]);
  });

  it('answers 404 with an OpenAI error for an unknown job, and 400 for a bad event id', async () => {
    const unknown = spool.client.get('/jobs/job_unknown');
    await expect(unknown).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(unknown).rejects.toMatchObject({ status: 404, code: 'job_not_found', type: 'invalid_request_error' });
    await expect(spool.client.post('/jobs/job_unknown/cancel')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(readEvents(spool.client, 'job_unknown')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const job = (await spool.client.completions.create({ model: MODEL, prompt: 'x', max_tokens: 2, background: true } as never)) as unknown as AsyncJobObject;
    await expect(readEvents(spool.client, job.id, { headers: { 'Last-Event-ID': 'abc' } })).rejects.toMatchObject({ status: 400, param: 'Last-Event-ID' });
    await expect(spool.client.chat.completions.create({ model: MODEL, messages: story('x'), stream: true, background: true } as never)).rejects.toMatchObject({
      status: 400,
      param: 'stream',
    });
  });
});

describe('async job retention', () => {
  let spool: Spool;
  let worker: InProcessWorker;
  const redis = new Redis(REDIS_URL);

  beforeAll(async () => {
    spool = await startSpool({ JOB_RETENTION_S: '2' });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
    redis.disconnect();
  });

  it('removes the job record, its event log, its owner index and its queue entry after JOB_RETENTION_S', async () => {
    const job = (await spool.client.completions.create({
      model: MODEL,
      prompt: 'A dog',
      max_tokens: 4,
      background: true,
    } as never)) as unknown as AsyncJobObject;
    await waitForStatus(spool.client, job.id, ended);
    const keys = asyncJobKeys(spool.config.REDIS_PREFIX);
    const jobKeys = [keys.record(job.id), keys.eventLog(job.id), keys.byOwner('anonymous')];
    expect(await redis.exists(...jobKeys)).toBe(3);
    // BullMQ drops an async job's data as soon as it ends: the log is its record.
    expect(await redis.keys(`${spool.config.REDIS_PREFIX}:gen.*:${job.id}*`)).toEqual([]);
    await sleep(2600);
    expect(await redis.exists(...jobKeys)).toBe(0);
    expect(await redis.keys(`${spool.config.REDIS_PREFIX}:*${job.id}*`)).toEqual([]);
    await expect(spool.client.get(`/jobs/${job.id}`)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(((await spool.client.get('/jobs')) as { data: unknown[] }).data).toEqual([]);
  });
});

describe('async jobs when a worker dies', () => {
  let spool: Spool;
  let worker: InProcessWorker | undefined;

  beforeAll(async () => {
    spool = await startSpool();
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  it('re-runs the job on another worker; its event stream marks the re-run with a reset event and then carries the final answer', async () => {
    const child = startWorkerProcess(spool.env);
    try {
      await spool.waitForWorkers(1);
      const job = (await spool.client.chat.completions.create(
        { model: MODEL, messages: story('Tell me a long story'), max_tokens: 300, temperature: 1 },
        { headers: { Prefer: 'respond-async' } },
      )) as unknown as AsyncJobObject;
      const head = await readEvents(spool.client, job.id, { stopAfter: 5 });
      child.kill('SIGKILL');
      worker = await startInProcessWorker(spool.config);
      const done = await waitForStatus(spool.client, job.id, ended, 45_000);
      expect(done.status).toBe('completed');
      const rest = await readEvents(spool.client, job.id, { headers: { 'Last-Event-ID': String(head.at(-1)!.sequence_number) } });
      const all = [...head, ...rest];
      expectConsecutive(all, 0);
      const reset = all.findLastIndex((chunk) => chunk.object === 'job.reset');
      expect(reset).toBeGreaterThan(0);
      expect(
        all
          .slice(reset + 1)
          .map(chunkText)
          .join(''),
      ).toBe((done.result as ChatResult).choices[0]!.message.content);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
