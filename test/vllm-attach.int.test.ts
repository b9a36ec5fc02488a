import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextLengthError, createLogger, vllmOptionsSchema, type GenerationEvent, type GenerationRequest } from '@spool/shared';
import { createVllmEngine, EngineLostError } from '@spool/worker';
import { freePort } from '../apps/worker/src/engines/vllm-process.js';
import { fakeVllmEnv, FIXTURE_BIN, readRecord, scratch, waitFor } from './helpers/gpu-harness.js';

const files = scratch([]);
const chat = (content: string, extra: Partial<GenerationRequest> = {}): GenerationRequest => ({
  kind: 'chat',
  messages: [{ role: 'user', content }],
  maxTokens: 5,
  temperature: 0,
  topP: 1,
  stop: [],
  presencePenalty: 0,
  frequencyPenalty: 0,
  ...extra,
});

async function collect(events: AsyncIterable<GenerationEvent>): Promise<GenerationEvent[]> {
  const all: GenerationEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('vllm engine, attach mode (a vLLM someone else runs)', () => {
  let server: ChildProcess;
  let url: string;
  const engine = () =>
    createVllmEngine({
      modelId: 'served',
      source: 'unused',
      options: vllmOptionsSchema.parse({ url, maxNumSeqs: 2 }),
      gpus: ['1', '3'],
      logger: createLogger({ name: 'test', level: 'silent' }),
      bin: 'must-not-be-spawned',
      env: fakeVllmEnv(files.recordFile),
      startupTimeoutMs: 5000,
      restartBackoffMs: 100,
    });

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(
      `${FIXTURE_BIN}/vllm`,
      [
        'serve',
        'org/model',
        '--port',
        String(port),
        '--served-model-name',
        'served',
        '--max-model-len',
        '300',
        '--enable-auto-tool-choice',
        '--tool-call-parser',
        'hermes',
      ],
      {
        env: fakeVllmEnv(files.recordFile, { FAKE_VLLM_TOKEN_MS: '20' }),
        stdio: 'ignore',
      },
    );
    await waitFor(
      () =>
        fetch(`${url}/health`).then(
          (response) => response.ok,
          () => false,
        ),
      10_000,
      'the stand-in vLLM',
    );
  });
  afterAll(() => {
    server?.kill();
  });

  it('reads the context length from /v1/models, counts tokens with /tokenize, and reports GPU memory and KV cache', async () => {
    const vllm = engine();
    await vllm.start();
    expect(vllm.model).toMatchObject({ id: 'served', contextLength: 300, slots: 2, engine: 'vllm' });
    expect(await vllm.countPromptTokens(chat('one two three'))).toBe(11);
    // The stand-in nvidia-smi (on PATH) lists four GPUs using 1000..4000 MiB; this worker has 1 and 3.
    expect(vllm.stats()).toMatchObject({ memoryKind: 'vram', memoryBytes: 6000 * 1024 * 1024, kvCacheUsage: 0.25 });
    expect(vllm.stats().gpus!.map((gpu) => gpu.index)).toEqual(['1', '3']);
    await vllm.stop();
    expect(readRecord(files.recordFile).filter((entry) => entry.event === 'start')).toHaveLength(1);
  });

  it('maps text deltas, usage and finish reasons, without priority for a server not known to schedule by it', async () => {
    const vllm = engine();
    await vllm.start();
    const events = await collect(vllm.generate(chat('hello world', { priority: 10, seed: 1 }), new AbortController().signal));
    expect(
      events
        .filter((event) => event.type === 'text-delta')
        .map((event) => (event as { text: string }).text)
        .join(''),
    ).toBe('fake-vllm hello world w4 w5');
    expect(events.at(-1)).toEqual({ type: 'end', finishReason: 'length', usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
    const body = readRecord(files.recordFile)
      .filter((entry) => entry.event === 'request')
      .at(-1)!.body!;
    expect(body).not.toHaveProperty('priority');
    expect(body).toMatchObject({ model: 'served', seed: 1, max_tokens: 5, stream_options: { include_usage: true } });
  });

  it('passes tools through and maps tool-call deltas', async () => {
    const vllm = engine();
    await vllm.start();
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const request: GenerationRequest = {
      ...chat('what is the weather?'),
      tools: [{ name: 'get_weather', parameters: { type: 'object' } }],
      toolChoice: 'auto',
    };
    const events = await collect(vllm.generate(request, new AbortController().signal));
    const calls = events.filter((event) => event.type === 'tool-call-delta');
    expect(calls[0]).toMatchObject({ index: 0, name: 'get_weather', arguments: '' });
    expect(calls[0]!.type === 'tool-call-delta' && calls[0]!.id).toMatch(/^chatcmpl-tool-/);
    expect(calls.map((event) => (event as { arguments: string }).arguments).join('')).toBe('{"city": "Paris"}');
    expect(events.at(-1)).toMatchObject({ type: 'end', finishReason: 'tool_calls' });
    expect(
      readRecord(files.recordFile)
        .filter((entry) => entry.event === 'request')
        .at(-1)!.body,
    ).toMatchObject({ tools, tool_choice: 'auto' });
  });

  it('keeps at most max_num_seqs requests in flight', async () => {
    const vllm = engine();
    await vllm.start();
    let most = 0;
    const runs = Array.from({ length: 5 }, async () => {
      for await (const _event of vllm.generate(chat('in flight', { maxTokens: 6 }), new AbortController().signal))
        most = Math.max(most, vllm.stats().busySlots);
    });
    await Promise.all(runs);
    expect(most).toBe(2);
    // What the server saw: never more than two open requests at a time.
    const spans = readRecord(files.recordFile)
      .filter((entry) => entry.event === 'request')
      .slice(-5)
      .map((entry) => entry.at);
    expect(spans[2]! - spans[0]!).toBeGreaterThanOrEqual(100);
  });

  it('aborts the upstream request when the signal fires', async () => {
    const vllm = engine();
    await vllm.start();
    const controller = new AbortController();
    const seen: GenerationEvent[] = [];
    await expect(
      (async () => {
        for await (const event of vllm.generate(chat('stop me', { maxTokens: 200 }), controller.signal)) {
          seen.push(event);
          if (seen.length === 2) controller.abort('cancelled');
        }
      })(),
    ).rejects.toBe('cancelled');
    const request = readRecord(files.recordFile)
      .filter((entry) => entry.event === 'request')
      .at(-1)!;
    await waitFor(() => readRecord(files.recordFile).some((entry) => entry.event === 'abort' && entry.id === request.id), 5000, 'the abort');
  });

  it('turns an over-long request into a context-length error and a dead server into EngineLostError', async () => {
    const vllm = engine();
    await vllm.start();
    await expect(collect(vllm.generate(chat('x', { maxTokens: 400 }), new AbortController().signal))).rejects.toBeInstanceOf(ContextLengthError);
    const gone = createVllmEngine({
      ...{ modelId: 'served', source: 'x', gpus: [], bin: 'x', env: {}, startupTimeoutMs: 1, restartBackoffMs: 1 },
      logger: createLogger({ name: 't', level: 'silent' }),
      options: vllmOptionsSchema.parse({ url: 'http://127.0.0.1:9', maxModelLen: 100 }),
    });
    await expect(collect(gone.generate(chat('x'), new AbortController().signal))).rejects.toBeInstanceOf(EngineLostError);
  });
});
