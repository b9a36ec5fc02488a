import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContextLengthError,
  createLogger,
  InvalidRequestError,
  UnavailableError,
  vllmOptionsSchema,
  type GenerationEvent,
  type GenerationRequest,
} from '@spool/shared';
import { createVllmEngine, EngineLostError } from '@spool/worker';
import { freePort } from '../apps/worker/src/engines/vllm-process.js';

/** Frames as vLLM's serving code writes them (see test/fixtures/vllm/README.md). */
const FRAMES = join(process.cwd(), 'test/fixtures/vllm');
const frame = (name: string) => readFileSync(join(FRAMES, name), 'utf8');

/** Replays a fixture per request: the user message names the file; /metrics is `metrics-0.10-dp2.txt`. */
function replayServer(): Server {
  return createServer((req, res) => {
    let raw = '';
    req.on('data', (part) => (raw += part));
    req.on('end', () => {
      if (req.url === '/health') return res.writeHead(200).end();
      if (req.url === '/metrics') return res.writeHead(200, { 'content-type': 'text/plain' }).end(frame('metrics-0.10-dp2.txt'));
      if (req.url === '/v1/models')
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'm', max_model_len: 300 }] }));
      const body = JSON.parse(raw) as { messages: { content: string }[] };
      const name = body.messages.at(-1)!.content;
      if (name.endsWith('.json')) return res.writeHead(400, { 'content-type': 'application/json' }).end(frame(name));
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' }).end(frame(name));
    });
  });
}

const chat = (content: string): GenerationRequest => ({
  kind: 'chat',
  messages: [{ role: 'user', content }],
  maxTokens: 5,
  temperature: 0,
  topP: 1,
  stop: [],
  presencePenalty: 0,
  frequencyPenalty: 0,
});

async function collect(events: AsyncIterable<GenerationEvent>): Promise<GenerationEvent[]> {
  const all: GenerationEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe("vLLM's own frames, replayed to the vllm engine", () => {
  let server: Server;
  let engine: ReturnType<typeof createVllmEngine>;

  beforeAll(async () => {
    const port = await freePort();
    server = replayServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    engine = createVllmEngine({
      modelId: 'm',
      source: 'unused',
      options: vllmOptionsSchema.parse({ url: `http://127.0.0.1:${port}` }),
      gpus: [],
      logger: createLogger({ name: 'test', level: 'silent' }),
      bin: 'must-not-be-spawned',
      env: { PATH: '/nonexistent' },
      startupTimeoutMs: 5000,
      restartBackoffMs: 100,
    });
    await engine.start();
  });
  afterAll(async () => {
    await engine?.stop();
    server?.close();
  });

  it('maps a streamed answer to deltas, its finish reason and usage', async () => {
    const events = await collect(engine.generate(chat('chat-stream.sse'), new AbortController().signal));
    expect(
      events
        .filter((event) => event.type === 'text-delta')
        .map((event) => (event as { text: string }).text)
        .join(''),
    ).toBe('Hello there');
    expect(events.at(-1)).toEqual({ type: 'end', finishReason: 'stop', usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } });
  });

  it("turns a 400 error frame mid-stream into the client's error with vLLM's message, not a lost engine", async () => {
    const failure = await collect(engine.generate(chat('chat-stream-error-400.sse'), new AbortController().signal)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidRequestError);
    expect(failure).toMatchObject({ status: 400, message: expect.stringContaining('guided decoding grammar') });
  });

  it('turns a 500 error frame into unavailable (503), which the worker does not re-run', async () => {
    const failure = await collect(engine.generate(chat('chat-stream-error-500.sse'), new AbortController().signal)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnavailableError);
    expect(failure).not.toBeInstanceOf(EngineLostError);
    expect(failure).toMatchObject({ status: 503, message: 'Upstream: Internal server error' });
  });

  it('reports finish_reason abort as a lost engine, never as stop', async () => {
    await expect(collect(engine.generate(chat('chat-stream-abort.sse'), new AbortController().signal))).rejects.toBeInstanceOf(EngineLostError);
  });

  it('passes an unknown finish reason through as itself', async () => {
    const events = await collect(engine.generate(chat('chat-stream-repetition.sse'), new AbortController().signal));
    expect(events.at(-1)).toMatchObject({ type: 'end', finishReason: 'repetition' });
  });

  it("turns vLLM's context-length 400 body into a context-length error", async () => {
    const failure = await collect(engine.generate(chat('error-context-length.json'), new AbortController().signal)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ContextLengthError);
    expect((failure as Error).message).toContain('maximum context length is 300 tokens');
  });

  it('averages KV-cache use over data-parallel engines (not 130%) and takes the KV capacity from cache_config_info', () => {
    expect(engine.stats().kvCacheUsage).toBeCloseTo(0.65);
    expect(engine.model.tokenCapacity).toBe(2 * 2048 * 16);
  });
});
