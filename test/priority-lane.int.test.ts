import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_MODEL_SOURCE, findModelFile, loadConfig, PRIORITY, type Engine, type GenerationRequest } from '@spool/shared';
import { createLlamaCppEngine } from '@spool/worker';
import { testEnv } from './helpers/spool-harness.js';

const config = loadConfig(testEnv());
const request = (priority: number | undefined, maxTokens: number): GenerationRequest => ({
  kind: 'completion',
  prompt: 'Once upon a time',
  maxTokens,
  temperature: 0,
  topP: 1,
  stop: [],
  presencePenalty: 0,
  frequencyPenalty: 0,
  ...(priority === undefined ? {} : { priority }),
});

async function run(engine: Engine, generation: GenerationRequest, signal = new AbortController().signal): Promise<number> {
  let tokens = 0;
  for await (const event of engine.generate(generation, signal)) if (event.type === 'end') tokens = event.usage.completion_tokens;
  return tokens;
}

describe('llama.cpp priority lane', () => {
  let engine: Engine;
  beforeAll(async () => {
    // One main sequence and one in the lane: a batch line fills the main context.
    engine = createLlamaCppEngine({
      modelId: 'stories260K',
      modelPath: findModelFile(EMBEDDED_MODEL_SOURCE, config.SPOOL_MODEL_PATH)!,
      threads: 1,
      contextSize: 512,
      slots: 1,
      prioritySlots: 1,
      batchSize: 512,
    });
    await engine.start();
  });
  afterAll(async () => engine?.stop());

  it('counts the lane in the slots and keeps it from batch lines', () => {
    expect(engine.model).toMatchObject({ slots: 2, batchSlots: 1 });
  });

  it('answers an interactive request beside a batch line that holds the main context', async () => {
    const stopBatch = new AbortController();
    let batchDone = false;
    const batchLine = run(engine, request(PRIORITY.batch, 400), stopBatch.signal).then((tokens) => ((batchDone = true), tokens));
    // The batch line is decoding: wait for the main context to be taken.
    while (engine.stats().busySlots < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const interactiveTokens = await run(engine, request(undefined, 8));
    expect(interactiveTokens).toBe(8);
    // Without the lane the interactive request would have waited for the 400-token line to end.
    expect(batchDone).toBe(false);
    stopBatch.abort();
    await batchLine;
  });

  it('gives a second batch line no lane: it waits for the main sequence', async () => {
    const stopFirst = new AbortController();
    const first = run(engine, request(PRIORITY.batch, 400), stopFirst.signal);
    while (engine.stats().busySlots < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    let secondStarted = false;
    const second = (async () => {
      for await (const event of engine.generate(request(PRIORITY.batch, 4), new AbortController().signal)) {
        if (event.type === 'text-delta') secondStarted = true;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(secondStarted).toBe(false);
    stopFirst.abort();
    await first;
    await second;
    expect(secondStarted).toBe(true);
  });
});
