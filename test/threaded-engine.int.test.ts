import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_MODEL_SOURCE, findModelFile, loadConfig, SpoolError, type Engine, type GenerationRequest } from '@spool/shared';
import { createLlamaCppEngine, createThreadedLlamaCppEngine, EngineLostError, type LlamaCppEngineOptions } from '@spool/worker';
import { testEnv } from './helpers/spool-harness.js';

const config = loadConfig(testEnv());
const options: LlamaCppEngineOptions = {
  modelId: 'stories260K',
  modelPath: findModelFile(EMBEDDED_MODEL_SOURCE, config.SPOOL_MODEL_PATH)!,
  threads: 1,
  contextSize: 256,
  slots: 2,
  prioritySlots: 1,
  batchSize: 256,
};
const request = (overrides: Partial<GenerationRequest> = {}): GenerationRequest => ({
  kind: 'completion',
  prompt: 'Once upon a time',
  maxTokens: 24,
  temperature: 0,
  topP: 1,
  stop: [],
  presencePenalty: 0,
  frequencyPenalty: 0,
  ...overrides,
});

async function collect(engine: Engine, generation: GenerationRequest, signal = new AbortController().signal) {
  let text = '';
  let tokens = 0;
  for await (const event of engine.generate(generation, signal)) {
    if (event.type === 'text-delta') text += event.text;
    if (event.type === 'end') tokens = event.usage.completion_tokens;
  }
  return { text, tokens };
}

describe('the llama.cpp engine on its own thread', () => {
  let threaded: Engine;
  let inProcess: Engine;
  beforeAll(async () => {
    threaded = createThreadedLlamaCppEngine(options);
    inProcess = createLlamaCppEngine(options);
    await Promise.all([threaded.start(), inProcess.start()]);
  });
  afterAll(async () => {
    await threaded?.stop();
    await inProcess?.stop();
  });

  it('reports the same model and answers exactly as the engine in-process', async () => {
    expect(threaded.model).toEqual(inProcess.model);
    const [fromThread, direct] = [await collect(threaded, request()), await collect(inProcess, request())];
    expect(fromThread.tokens).toBe(24);
    expect(fromThread.text).toBe(direct.text);
    expect(await threaded.countPromptTokens(request())).toBe(await inProcess.countPromptTokens(request()));
  });

  it('brings a SpoolError across with its status and code', async () => {
    const tooLong = collect(threaded, request({ maxTokens: 10_000 }));
    await expect(tooLong).rejects.toBeInstanceOf(SpoolError);
    await expect(tooLong).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
  });

  it('stops a generation when its signal aborts and frees the slot', async () => {
    const controller = new AbortController();
    let pieces = 0;
    for await (const event of threaded.generate(request({ maxTokens: 200 }), controller.signal)) {
      if (event.type === 'text-delta' && (pieces += 1) === 2) controller.abort();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(threaded.stats().busySlots).toBe(0);
    // The slot serves the next request at once.
    expect((await collect(threaded, request({ maxTokens: 4 }))).tokens).toBe(4);
  });

  it('says it is lost once when its thread dies, and fails later calls at once instead of posting to a dead thread', async () => {
    const doomed = createThreadedLlamaCppEngine(options);
    await doomed.start();
    const lost: Error[] = [];
    doomed.onLost!((error) => lost.push(error));
    expect((await collect(doomed, request({ maxTokens: 4 }))).tokens).toBe(4);
    // Between generations: terminating a thread in the middle of a native decode may abort the process.
    await doomed.thread!.terminate();
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(EngineLostError);
    await expect(collect(doomed, request())).rejects.toBeInstanceOf(EngineLostError);
    await expect(doomed.countPromptTokens(request())).rejects.toBeInstanceOf(EngineLostError);
    await doomed.stop();
    expect(lost).toHaveLength(1);
  });

  it("fails start with the engine's error when the model cannot load, instead of hanging", async () => {
    const broken = createThreadedLlamaCppEngine({ ...options, modelPath: '/nonexistent/model.gguf' });
    await expect(broken.start()).rejects.toThrow();
    await broken.stop();
  });
});
