import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fakeVllmEnv, readRecord, scratch, spawnSpoolWorker, startModelWorker, waitFor, waitForModel, type ModelWorker } from './helpers/gpu-harness.js';
import { startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const files = scratch([]);

describe('several models, each on its own workers', () => {
  let upstream: Spool;
  let upstreamWorker: InProcessWorker;
  let spool: Spool;
  let tiny: ModelWorker;
  let remote: ModelWorker;
  let big: ChildProcess;

  beforeAll(async () => {
    // A second Spool (its own prefix) that the first reaches through the `openai` engine.
    upstream = await startSpool({ MODEL_SLOTS: '2' });
    upstreamWorker = await startInProcessWorker(upstream.config);
    await upstream.waitForWorkers(1);
    writeFileSync(
      files.modelsFile,
      stringify({
        models: [
          { id: 'tiny', aliases: ['stories', 'small'], engine: 'llamacpp', source: 'stories260K.gguf', options: { slots: 2, contextSize: 256 } },
          { id: 'big', aliases: ['large'], engine: 'vllm', source: 'org/big-model', options: { maxNumSeqs: 4 } },
          {
            id: 'remote',
            engine: 'openai',
            source: 'stories260K',
            options: { url: `${upstream.url}/v1`, apiKey: 'upstream-key', slots: 2, contextLength: 512 },
          },
          { id: 'ghost', engine: 'llamacpp', source: 'stories260K.gguf' },
        ],
      }),
    );
    spool = await startSpool({ MODELS_FILE: files.modelsFile });
    tiny = await startModelWorker(spool.config, 'small');
    remote = await startModelWorker(spool.config, 'remote');
    // `spool worker` by alias, with its GPUs from the environment: a TP=2 vLLM on GPUs 2 and 3.
    big = spawnSpoolWorker(['--model', 'large'], fakeVllmEnv(files.recordFile, { ...spool.env, LOG_LEVEL: 'silent', WORKER_GPUS: '2,3' }));
    await Promise.all([waitForModel(spool, 'tiny'), waitForModel(spool, 'remote'), waitForModel(spool, 'big')]);
  });
  afterAll(async () => {
    big?.kill('SIGKILL');
    // A SIGKILLed worker cannot stop its vLLM: end the orphan the test made.
    for (const entry of readRecord(files.recordFile).filter((record) => record.event === 'start')) {
      try {
        process.kill(entry.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await tiny?.close();
    await remote?.close();
    await spool?.close();
    await upstreamWorker?.close();
    await upstream?.close();
  });

  it('lists the models that have a live worker and resolves aliases', async () => {
    const models = await spool.client.models.list();
    expect(models.data.map((model) => model.id).sort()).toEqual(['big', 'remote', 'tiny']);
    expect((await spool.client.models.retrieve('large')).id).toBe('big');
    expect((await spool.client.models.retrieve('stories')).id).toBe('tiny');
  });

  it('routes each request to the workers of the model it names, by id or alias', async () => {
    const ask = (model: string) =>
      spool.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8, temperature: 0 });
    const [byAlias, byId, onVllm] = await Promise.all([ask('small'), ask('tiny'), ask('large')]);
    expect(byAlias.choices[0]!.message.content).toBe(byId.choices[0]!.message.content);
    expect(byAlias.choices[0]!.message.content).not.toMatch(/^fake-vllm/);
    expect(onVllm.choices[0]!.message.content).toMatch(/^fake-vllm Once upon a time/);
    const start = readRecord(files.recordFile).find((entry) => entry.event === 'start')!;
    expect(start.cudaVisibleDevices).toBe('2,3');
    expect(start.args![start.args!.indexOf('--tensor-parallel-size') + 1]).toBe('2');
  });

  it("announces the GPU memory of a worker's own GPUs", async () => {
    const announced = spool.api.deps.registry.workers().find((worker) => worker.model === 'big')!;
    expect(announced.gpus).toEqual(['2', '3']);
    expect(announced.memoryKind).toBe('vram');
    expect(announced.gpuMemory!.map((gpu) => gpu.index)).toEqual(['2', '3']);
    expect(announced.memoryBytes).toBe((3000 + 4000) * 1024 * 1024);
    expect(spool.api.deps.registry.workers().find((worker) => worker.model === 'tiny')!.memoryKind).toBe('ram');
  });

  it('serves a model from another OpenAI-compatible server (a second Spool) with the same answer', async () => {
    const request = { messages: [{ role: 'user' as const, content: 'The cat' }], max_tokens: 12, temperature: 0, seed: 5 };
    const direct = await upstream.client.chat.completions.create({ model: 'stories260K', ...request });
    const relayed = await spool.client.chat.completions.create({ model: 'remote', ...request });
    expect(relayed.choices[0]!.message.content).toBe(direct.choices[0]!.message.content);
    expect(relayed.usage).toEqual(direct.usage);
    const stream = await spool.client.chat.completions.create({ model: 'remote', ...request, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(direct.choices[0]!.message.content);
  });

  it('answers 503 model_unavailable with Retry-After for a configured model without a worker', async () => {
    const error = await spool.client.chat.completions.create({ model: 'ghost', messages: [{ role: 'user', content: 'hi' }] }).catch((caught) => caught);
    expect(error.status).toBe(503);
    expect(error.code).toBe('model_unavailable');
    expect(Number(error.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('drops a model whose only worker died within the heartbeat timeout, then answers 503', async () => {
    big.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      async () => {
        await spool.api.deps.registry.refresh();
        return !spool.api.deps.registry.hasLiveWorker('big');
      },
      10_000,
      'the dead worker to drop out',
    );
    expect(Date.now() - killedAt).toBeLessThan(Number(spool.env.HEARTBEAT_TIMEOUT_MS) + 1500);
    const error = await spool.client.chat.completions.create({ model: 'large', messages: [{ role: 'user', content: 'hi' }] }).catch((caught) => caught);
    expect(error.status).toBe(503);
    expect(error.code).toBe('model_unavailable');
    expect(error.headers.get('retry-after')).toBeTruthy();
    expect((await spool.client.models.list()).data.map((model) => model.id).sort()).toEqual(['remote', 'tiny']);
  });
});
