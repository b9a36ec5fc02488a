import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeVllmEnv, readRecord, scratch, startModelWorker, waitFor, waitForModel, type ModelWorker } from './helpers/gpu-harness.js';
import { startSpool, type Spool } from './helpers/spool-harness.js';

const files = scratch([
  {
    id: 'big',
    aliases: ['large'],
    engine: 'vllm',
    source: 'meta-llama/Llama-3.1-70B-Instruct',
    options: {
      maxModelLen: 1024,
      maxNumSeqs: 8,
      gpuMemoryUtilization: 0.85,
      toolCallParser: 'llama3_json',
      apiKey: 'sk-vllm-secret',
      extraArgs: ['--dtype', 'bfloat16'],
    },
  },
  { id: 'plain', engine: 'vllm', source: 'org/plain', options: { maxModelLen: 512 } },
]);

describe('vllm engine, spawn mode, through Spool', () => {
  let spool: Spool;
  let worker: ModelWorker;
  let plain: ModelWorker;
  let startedAt: number;

  beforeAll(async () => {
    spool = await startSpool({ MODELS_FILE: files.modelsFile, VLLM_RESTART_BACKOFF_MS: '200', VLLM_STARTUP_TIMEOUT_MS: '20000' });
    const env = fakeVllmEnv(files.recordFile, { FAKE_VLLM_HEALTH_DELAY_MS: '700', FAKE_VLLM_CRASH_MARKER: files.crashMarker, FAKE_VLLM_TOKEN_MS: '10' });
    worker = await startModelWorker(spool.config, 'big', { gpus: ['0', '1', '2', '3'], env });
    startedAt = Date.now();
    plain = await startModelWorker(spool.config, 'plain', { gpus: ['5'], env: fakeVllmEnv(files.recordFile) });
    await waitForModel(spool, 'big');
    await waitForModel(spool, 'plain');
  });
  afterAll(async () => {
    await plain?.close();
    await worker?.close();
    await spool?.close();
    // Generous: since 053a2c6 the API takes about 60 s to close after the client-abort test below.
  }, 120_000);

  it('spawns vllm serve with TP equal to the GPU count, CUDA_VISIBLE_DEVICES pinned, and the model options', () => {
    const start = readRecord(files.recordFile).find((entry) => entry.event === 'start' && entry.args![1] === 'meta-llama/Llama-3.1-70B-Instruct')!;
    expect(start.cudaVisibleDevices).toBe('0,1,2,3');
    const args = start.args!;
    const value = (name: string) => args[args.indexOf(name) + 1];
    expect(args.slice(0, 2)).toEqual(['serve', 'meta-llama/Llama-3.1-70B-Instruct']);
    expect(value('--tensor-parallel-size')).toBe('4');
    expect(value('--pipeline-parallel-size')).toBe('1');
    expect(value('--host')).toBe('127.0.0.1');
    expect(value('--served-model-name')).toBe('big');
    expect(value('--max-model-len')).toBe('1024');
    expect(value('--max-num-seqs')).toBe('8');
    expect(value('--gpu-memory-utilization')).toBe('0.85');
    expect(value('--tool-call-parser')).toBe('llama3_json');
    expect(args).toContain('--enable-auto-tool-choice');
    expect(args.slice(-2)).toEqual(['--dtype', 'bfloat16']);
    // The key reaches vLLM in its environment, never on its command line; CUDA numbers GPUs as nvidia-smi does.
    expect(args.join(' ')).not.toContain('sk-vllm-secret');
    expect(start).toMatchObject({ apiKeyFromEnv: true, cudaDeviceOrder: 'PCI_BUS_ID' });
    expect(worker.engine.model).toMatchObject({ id: 'big', slots: 8, contextLength: 1024, engine: 'vllm' });
  });

  it('starts serving only after /health answers 200', () => {
    const health = readRecord(files.recordFile).filter((entry) => entry.event === 'health');
    const firstOk = health.find((entry) => entry.status === 200)!;
    expect(health[0]!.status).toBe(503);
    expect(firstOk).toBeDefined();
    expect(startedAt).toBeGreaterThanOrEqual(firstOk.at);
  });

  it('answers chat by alias, streamed and not, with the same text and vLLM usage', async () => {
    const request = { model: 'large', messages: [{ role: 'user' as const, content: 'Tell me about tensors' }], max_tokens: 6, temperature: 0, seed: 3 };
    const whole = await spool.client.chat.completions.create(request);
    expect(whole.choices[0]!.message.content).toBe('fake-vllm Tell me about tensors w8');
    expect(whole.choices[0]!.finish_reason).toBe('length');
    expect(whole.usage).toMatchObject({ completion_tokens: 6, prompt_tokens: 12, total_tokens: 18 });
    const stream = await spool.client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(usage).toEqual(whole.usage);
    const sent = readRecord(files.recordFile)
      .filter((entry) => entry.event === 'request')
      .at(-1)!.body!;
    // Spawned with priority scheduling, so the queue priority rides along.
    expect(sent).toMatchObject({ model: 'big', max_tokens: 6, temperature: 0, seed: 3, stream: true, priority: 0, stream_options: { include_usage: true } });
  });

  const lastRequest = () =>
    readRecord(files.recordFile)
      .filter((entry) => entry.event === 'request')
      .at(-1)!.body!;

  it("forwards vLLM's sampling extras, and no temperature or top_p the client did not set", async () => {
    const extras = { top_k: 40, min_p: 0.05, repetition_penalty: 1.1, logit_bias: { '42': -100 } };
    await spool.client.chat.completions.create({ model: 'big', messages: [{ role: 'user', content: 'sample me' }], max_tokens: 3, ...extras } as never);
    const sent = lastRequest();
    expect(sent).toMatchObject(extras);
    expect(sent).not.toHaveProperty('temperature');
    expect(sent).not.toHaveProperty('top_p');
  });

  it('refuses tools up front on a vLLM model without a tool-call parser', async () => {
    const before = readRecord(files.recordFile).filter((entry) => entry.event === 'request').length;
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const failure = await spool.client.chat.completions
      .create({ model: 'plain', messages: [{ role: 'user', content: 'weather?' }], tools })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 400, error: { param: 'tools', message: expect.stringContaining('toolCallParser') } });
    // The Responses API runs on the same queue path and refuses the same way.
    const viaResponses = await spool.client.responses
      .create({ model: 'plain', input: 'weather?', tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: false }] })
      .catch((error: unknown) => error);
    expect(viaResponses).toMatchObject({ status: 400, error: { param: 'tools', message: expect.stringContaining('toolCallParser') } });
    expect(readRecord(files.recordFile).filter((entry) => entry.event === 'request')).toHaveLength(before);
  });

  it('maps legacy completions and stop sequences', async () => {
    const completion = await spool.client.completions.create({ model: 'big', prompt: 'one two three', max_tokens: 10, temperature: 0, stop: [' w'] });
    expect(completion.choices[0]!.text).toBe('fake-vllm one two three');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });

  it('restarts vllm when it dies under a job, and the job completes', async () => {
    const before = readRecord(files.recordFile).filter((entry) => entry.event === 'start' && entry.cudaVisibleDevices === '0,1,2,3').length;
    const completion = await spool.client.chat.completions.create({
      model: 'big',
      messages: [{ role: 'user', content: 'please CRASH now' }],
      max_tokens: 5,
      temperature: 0,
    });
    expect(completion.choices[0]!.message.content).toBe('fake-vllm please CRASH now w4');
    const record = readRecord(files.recordFile);
    expect(record.some((entry) => entry.event === 'crash')).toBe(true);
    const starts = record.filter((entry) => entry.event === 'start' && entry.cudaVisibleDevices === '0,1,2,3');
    expect(starts.length).toBe(before + 1);
    expect(starts.at(-1)!.pid).not.toBe(starts.at(-2)!.pid);
    expect(starts.at(-1)!.cudaVisibleDevices).toBe('0,1,2,3');
  });

  const requestsFor = (marker: string) =>
    readRecord(files.recordFile).filter((entry) => entry.event === 'request' && JSON.stringify(entry.body).includes(marker));

  it("answers a 400 error frame from vLLM mid-stream with a 400 and vLLM's message, running it once", async () => {
    const failure = await spool.client.chat.completions
      .create({ model: 'big', messages: [{ role: 'user', content: 'please ERROR400 now' }], max_tokens: 8 })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 400, error: { type: 'invalid_request_error', message: expect.stringContaining('cannot be honoured mid-stream') } });
    expect(requestsFor('ERROR400')).toHaveLength(1);
  });

  it('answers a 500 error frame with one 503, without running the job on the GPU again', async () => {
    const stream = await spool.client.chat.completions.create({
      model: 'big',
      messages: [{ role: 'user', content: 'please ERROR500 now' }],
      max_tokens: 8,
      stream: true,
    });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(text).toBe('fake-vllm please');
    expect(failure).toMatchObject({ error: { type: 'server_error', message: 'Upstream: Internal server error' } });
    expect(requestsFor('ERROR500')).toHaveLength(1);
  });

  it('passes a finish reason OpenAI does not know through as itself', async () => {
    const completion = await spool.client.chat.completions.create({ model: 'big', messages: [{ role: 'user', content: 'FINISH_REPETITION' }], max_tokens: 20 });
    expect(completion.choices[0]!.finish_reason).toBe('repetition');
  });

  it('aborts the upstream request when the client goes away', async () => {
    const stream = await spool.client.chat.completions.create({
      model: 'big',
      messages: [{ role: 'user', content: 'a long one' }],
      max_tokens: 300,
      stream: true,
    });
    let chunks = 0;
    // Leaving the loop makes the SDK abort its HTTP request: the client has gone away.
    for await (const _chunk of stream) if (++chunks === 3) break;
    expect(chunks).toBe(3);
    const request = readRecord(files.recordFile)
      .filter((entry) => entry.event === 'request')
      .at(-1)!;
    expect(request.body!.max_tokens).toBe(300);
    await waitFor(() => readRecord(files.recordFile).some((entry) => entry.event === 'abort' && entry.id === request.id), 10_000, 'the upstream abort');
  });

  it('reports vLLM KV-cache use in the heartbeat', async () => {
    await waitFor(
      async () => {
        await spool.api.deps.registry.refresh();
        return spool.api.deps.registry.workers().find((entry) => entry.model === 'big')?.kvCacheUsage === 0.25;
      },
      10_000,
      'kv cache usage',
    );
    const announced = spool.api.deps.registry.workers().find((entry) => entry.model === 'big')!;
    expect(announced.gpus).toEqual(['0', '1', '2', '3']);
  });

  it('stops vllm on shutdown', async () => {
    const pid = readRecord(files.recordFile)
      .filter((entry) => entry.event === 'start' && entry.cudaVisibleDevices === '0,1,2,3')
      .at(-1)!.pid;
    await worker.close();
    expect(readRecord(files.recordFile).some((entry) => entry.event === 'stop' && entry.pid === pid)).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
