import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, vllmOptionsSchema } from '@spool/shared';
import { createVllmEngine } from '@spool/worker';
import { fakeVllmEnv, FIXTURE_BIN, readRecord, scratch, spawnSpoolWorker, waitFor } from './helpers/gpu-harness.js';
import { testEnv } from './helpers/spool-harness.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function spawnMode(recordFile: string, gpus: string[], options: Record<string, unknown> = {}) {
  return createVllmEngine({
    modelId: 'm',
    source: 'org/m',
    options: vllmOptionsSchema.parse({ maxModelLen: 512, ...options }),
    gpus,
    logger: createLogger({ name: 'test', level: 'silent' }),
    bin: `${FIXTURE_BIN}/vllm`,
    env: fakeVllmEnv(recordFile),
    startupTimeoutMs: 15_000,
    restartBackoffMs: 100,
  });
}

describe('the spawned vLLM process', () => {
  it('maps GPU UUIDs to the indices nvidia-smi gives them (vLLM takes only indices)', async () => {
    const files = scratch([]);
    const engine = spawnMode(files.recordFile, ['GPU-00000003-fake', 'GPU-00000001-fake']);
    await engine.start();
    await engine.stop();
    expect(readRecord(files.recordFile).find((entry) => entry.event === 'start')!.cudaVisibleDevices).toBe('3,1');
  });

  it('refuses a GPU UUID nvidia-smi does not list, with an error that says so, spawning nothing', async () => {
    const files = scratch([]);
    await expect(spawnMode(files.recordFile, ['GPU-not-here']).start()).rejects.toThrow(/GPU-not-here is not among the GPUs nvidia-smi lists/);
    expect(readRecord(files.recordFile)).toEqual([]);
  });

  it('fails the start when vLLM refuses an unknown flag', async () => {
    const files = scratch([]);
    await expect(spawnMode(files.recordFile, ['0'], { extraArgs: ['--no-such-flag'] }).start()).rejects.toThrow(/vllm exited \(code 2/);
  });
});

describe('a worker SIGKILLed under a running vLLM', () => {
  const files = scratch([{ id: 'big', engine: 'vllm', source: 'org/big', gpus: [2], options: { maxModelLen: 512 } }]);
  const env = fakeVllmEnv(files.recordFile, { ...testEnv({ MODELS_FILE: files.modelsFile, SPOOL_DATA_DIR: files.dir, LOG_LEVEL: 'silent' }) });
  const workers: ReturnType<typeof spawnSpoolWorker>[] = [];
  afterAll(async () => {
    for (const worker of workers)
      if (worker.exitCode === null && worker.signalCode === null) {
        worker.kill('SIGTERM');
        await once(worker, 'exit');
      }
  });

  it('leaves vLLM holding the GPU, and the next worker on that GPU ends it before it starts its own', async () => {
    const starts = () => readRecord(files.recordFile).filter((entry) => entry.event === 'start');
    workers.push(spawnSpoolWorker([], env));
    const first = await waitFor(() => starts()[0], 60_000, 'the first vllm');
    await waitFor(() => readRecord(files.recordFile).some((entry) => entry.event === 'health' && entry.status === 200), 30_000, 'a healthy vllm');
    workers[0]!.kill('SIGKILL');
    await once(workers[0]!, 'exit');
    expect(alive(first.pid)).toBe(true);

    workers.push(spawnSpoolWorker([], env));
    const second = await waitFor(() => starts()[1], 60_000, 'the second vllm');
    expect(second.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
    const stopOfFirst = readRecord(files.recordFile).find((entry) => entry.event === 'stop' && entry.pid === first.pid);
    expect(stopOfFirst).toBeDefined();
    expect(stopOfFirst!.at).toBeLessThanOrEqual(second.at);
  });
});
