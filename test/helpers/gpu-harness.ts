import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { createLogger, findModelSpec, loadModelSpecs, type Config, type Engine } from '@spool/shared';
import { createEngineForModel, createWorker, type RunningWorker } from '@spool/worker';
import type { Spool } from './spool-harness.js';

/** The stand-in `vllm` and `nvidia-smi` live here; tests put it first on PATH. */
export const FIXTURE_BIN = join(process.cwd(), 'test/fixtures/bin');

/** A scratch directory with a models file and a record file for the stand-in vLLM. */
export function scratch(models: unknown[]): { dir: string; modelsFile: string; recordFile: string; crashMarker: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spool-gpu-'));
  const modelsFile = join(dir, 'models.yaml');
  writeFileSync(modelsFile, stringify({ models }));
  return { dir, modelsFile, recordFile: join(dir, 'vllm-record.jsonl'), crashMarker: join(dir, 'crashed') };
}

/** The environment a worker gives the stand-in vLLM: PATH first, then what it records where. */
export function fakeVllmEnv(recordFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(process.env as Record<string, string>), PATH: `${FIXTURE_BIN}:${process.env.PATH}`, FAKE_VLLM_RECORD: recordFile, ...extra };
}

export type VllmRecord = {
  at: number;
  pid: number;
  event: string;
  args?: string[];
  cudaVisibleDevices?: string | null;
  id?: string;
  body?: Record<string, unknown>;
  status?: number;
};

export function readRecord(recordFile: string): VllmRecord[] {
  if (!existsSync(recordFile)) return [];
  return readFileSync(recordFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as VllmRecord);
}

export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface ModelWorker {
  worker: RunningWorker;
  engine: Engine;
  close(): Promise<void>;
}

/** A worker inside the test process for one configured model, pinned to `gpus`. */
export async function startModelWorker(config: Config, model: string, runtime: { gpus?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ModelWorker> {
  const spec = findModelSpec(loadModelSpecs(config), model);
  if (!spec) throw new Error(`no model ${model}`);
  const logger = createLogger({ name: 'test-worker', level: 'silent' });
  const engine = await createEngineForModel(spec, config, { ...runtime, logger });
  await engine.start();
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const worker = await createWorker({ config, engine, redis, subscriber: redis.duplicate(), logger, gpus: runtime.gpus ?? spec.gpus });
  let closing: Promise<void> | undefined;
  return {
    worker,
    engine,
    close() {
      closing ??= (async () => {
        await worker.close();
        await engine.stop();
        redis.disconnect();
      })();
      return closing;
    },
  };
}

/** A `spool worker` child process with its own arguments and environment, so a test can SIGKILL it. */
export function spawnSpoolWorker(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'bin/spool.ts', 'worker', ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Resolves once `count` live workers of `model` are in the API's registry. */
export function waitForModel(spool: Spool, model: string, count = 1, timeoutMs = 30_000): Promise<true> {
  return waitFor(
    async () => {
      await spool.api.deps.registry.refresh();
      return spool.api.deps.registry.workers().filter((worker) => worker.model === model).length >= count;
    },
    timeoutMs,
    `${count} worker(s) of ${model}`,
  ) as Promise<true>;
}
