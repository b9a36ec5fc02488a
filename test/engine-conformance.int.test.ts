import { spawn, type ChildProcess } from 'node:child_process';
import { createLogger, EMBEDDED_MODEL_SOURCE, findModelFile, loadConfig, openAIOptionsSchema, vllmOptionsSchema } from '@spool/shared';
import { createLlamaCppEngine, createOpenAIEngine, createThreadedLlamaCppEngine, createVllmEngine, type LlamaCppEngineOptions } from '@spool/worker';
import { freePort } from '../apps/worker/src/engines/vllm-process.js';
import { describeEngine } from './helpers/engine-conformance.js';
import { fakeVllmEnv, FIXTURE_BIN, scratch, waitFor } from './helpers/gpu-harness.js';
import { testEnv } from './helpers/spool-harness.js';

const config = loadConfig(testEnv());
const llama: LlamaCppEngineOptions = {
  modelId: 'stories260K',
  modelPath: findModelFile(EMBEDDED_MODEL_SOURCE, config.SPOOL_MODEL_PATH)!,
  threads: 1,
  contextSize: 256,
  slots: 3,
  batchSize: 256,
};
const longPrompt = 'once upon a time '.repeat(200);
const files = scratch([]);

/** The stand-in vLLM (test/fixtures/bin/vllm) on a free port, serving `served`. */
async function standInVllm(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(`${FIXTURE_BIN}/vllm`, ['serve', 'org/model', '--port', String(port), '--served-model-name', 'served', '--max-model-len', '300'], {
    env: fakeVllmEnv(files.recordFile),
    stdio: 'ignore',
  });
  await waitFor(
    () =>
      fetch(`${url}/health`).then(
        (response) => response.ok,
        () => false,
      ),
    10_000,
    'the stand-in vLLM',
  );
  return { url, process: child };
}

describeEngine(
  'llama.cpp in process',
  async () => {
    const engine = createLlamaCppEngine(llama);
    await engine.start();
    return { engine, stop: () => engine.stop() };
  },
  { longPrompt },
);

describeEngine(
  'llama.cpp on its own thread',
  async () => {
    const engine = createThreadedLlamaCppEngine(llama);
    await engine.start();
    return { engine, stop: () => engine.stop() };
  },
  { longPrompt },
);

describeEngine(
  'vllm (the stand-in, attached)',
  async () => {
    const server = await standInVllm();
    const engine = createVllmEngine({
      modelId: 'served',
      source: 'unused',
      options: vllmOptionsSchema.parse({ url: server.url, maxNumSeqs: 4 }),
      gpus: [],
      logger: createLogger({ name: 'test', level: 'silent' }),
      bin: 'must-not-be-spawned',
      env: fakeVllmEnv(files.recordFile),
      startupTimeoutMs: 5000,
      restartBackoffMs: 100,
    });
    await engine.start();
    return {
      engine,
      async stop() {
        await engine.stop();
        server.process.kill();
      },
    };
  },
  { longPrompt },
);

describeEngine(
  'openai upstream (the stand-in vLLM as the upstream)',
  async () => {
    const server = await standInVllm();
    const engine = createOpenAIEngine({
      modelId: 'remote',
      upstreamModel: 'served',
      options: openAIOptionsSchema.parse({ url: `${server.url}/v1`, contextLength: 300, slots: 4 }),
    });
    await engine.start();
    return {
      engine,
      async stop() {
        await engine.stop();
        server.process.kill();
      },
    };
  },
  { longPrompt },
);
