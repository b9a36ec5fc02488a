import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeVllmEnv, readRecord, scratch, startModelWorker, waitForModel, type ModelWorker } from './helpers/gpu-harness.js';
import { startSpool, type Spool } from './helpers/spool-harness.js';

// One model on two GPU workers, as infra/models.yaml ships it: vLLM's default 256 sequences and a
// context of 2048, but a KV cache of 640 blocks × 16 = 10,240 tokens per server.
const files = scratch([{ id: 'pool', engine: 'vllm', source: 'org/pool', options: { maxModelLen: 2048 } }]);
const BURST = 200;

type Figures = { maxHeld: number; maxRunning: number; maxBlocked: number; capacity: number; tokenBudget: number; requests: number };

describe('capacity-aware pulls: two vLLM workers on one model under a burst without max_tokens', () => {
  let spool: Spool;
  const workers: ModelWorker[] = [];

  beforeAll(async () => {
    spool = await startSpool({ MODELS_FILE: files.modelsFile, VLLM_STARTUP_TIMEOUT_MS: '20000', MAX_QUEUED_REQUESTS: '1000' });
    const env = fakeVllmEnv(files.recordFile, { FAKE_VLLM_GPU_BLOCKS: '640', FAKE_VLLM_TOKEN_MS: '15' });
    for (const gpu of ['0', '1']) workers.push(await startModelWorker(spool.config, 'pool', { gpus: [gpu], env }));
    await waitForModel(spool, 'pool', 2);
  });
  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await spool?.close();
  });

  it('keeps both workers busy and neither holds a job it cannot start', async () => {
    const figures: Figures[] = workers.map((worker) => ({
      maxHeld: 0,
      maxRunning: 0,
      maxBlocked: 0,
      capacity: 0,
      tokenBudget: worker.worker.load().tokenBudget,
      requests: 0,
    }));
    const sample = setInterval(() => {
      workers.forEach((worker, index) => {
        const load = worker.worker.load();
        const entry = figures[index]!;
        entry.maxHeld = Math.max(entry.maxHeld, load.held);
        entry.maxRunning = Math.max(entry.maxRunning, load.running);
        entry.maxBlocked = Math.max(entry.maxBlocked, load.blocked);
        entry.capacity = load.capacity;
      });
    }, 5);
    const answers = await Promise.all(
      Array.from({ length: BURST }, (_, index) =>
        spool.client.chat.completions.create({ model: 'pool', messages: [{ role: 'user', content: `burst request ${index}` }] }),
      ),
    ).finally(() => clearInterval(sample));

    expect(answers.every((answer) => answer.choices[0]!.message.content!.startsWith('fake-vllm'))).toBe(true);
    // Each stand-in server is one worker's: count the requests each one served.
    const pids = [
      ...new Set(
        readRecord(files.recordFile)
          .filter((entry) => entry.event === 'start')
          .map((entry) => entry.pid),
      ),
    ];
    const requests = readRecord(files.recordFile).filter((entry) => entry.event === 'request');
    const pidOf = (gpu: string) => readRecord(files.recordFile).find((entry) => entry.event === 'start' && entry.cudaVisibleDevices === gpu)!.pid;
    workers.forEach((_, index) => (figures[index]!.requests = requests.filter((entry) => entry.pid === pidOf(String(index))).length));
    console.log(`capacity-aware pulls, ${BURST} requests without max_tokens:\n${JSON.stringify(figures, null, 1)}`);

    expect(pids).toHaveLength(2);
    // The budget is each server's KV cache, read from its metrics at start.
    for (const entry of figures) expect(entry.tokenBudget).toBe(640 * 16);
    for (const entry of figures) {
      // Both busy: each ran many requests, several at a time.
      expect(entry.requests).toBeGreaterThanOrEqual(BURST / 5);
      expect(entry.maxRunning).toBeGreaterThan(5);
      // None holding what it cannot start.
      expect(entry.maxBlocked).toBe(0);
      expect(entry.maxHeld).toBeLessThanOrEqual(entry.capacity + 1);
    }
    // At least: a job whose lock renewal came late on this loaded machine may have run twice.
    expect(figures[0]!.requests + figures[1]!.requests).toBeGreaterThanOrEqual(BURST);
  });
});
