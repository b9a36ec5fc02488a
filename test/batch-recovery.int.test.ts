import { once } from 'node:events';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startApi } from '@spool/api';
import { createLogger, loadConfig } from '@spool/shared';
import { chatLines, fileLines, jsonl, uploadBatchFile, waitForBatch } from './helpers/batch-files.js';
import { MODEL, REDIS_URL, startInProcessWorker, startSpool, startWorkerProcess, testEnv, type InProcessWorker } from './helpers/spool-harness.js';

const dataDir = () => `/tmp/spool-test-${process.pid}-${Date.now()}`;

/** Every custom_id of the input appears exactly once across the output and error files. */
async function expectExactlyOnce(client: OpenAI, batchId: string, expected: string[]) {
  const batch = await waitForBatch(client, batchId, undefined, 55_000);
  expect(batch.status).toBe('completed');
  const lines = [...(await fileLines(client, batch.output_file_id)), ...(await fileLines(client, batch.error_file_id))];
  const ids = lines.map((line) => line.custom_id);
  expect(ids.length).toBe(expected.length);
  expect(new Set(ids)).toEqual(new Set(expected));
  expect(batch.request_counts!.completed + batch.request_counts!.failed).toBe(expected.length);
  return { batch, lines };
}

describe('batch recovery', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('loses nothing when a worker is SIGKILLed mid-batch while a second worker runs', async () => {
    const spool = await startSpool({ SPOOL_DATA_DIR: dataDir(), MODEL_SLOTS: '2', SHUTDOWN_GRACE_MS: '2000' });
    cleanups.push(() => spool.close());
    const doomed = startWorkerProcess(spool.env);
    cleanups.push(async () => {
      if (doomed.exitCode === null && doomed.signalCode === null) {
        doomed.kill('SIGKILL');
        await once(doomed, 'exit');
      }
    });
    const survivor: InProcessWorker = await startInProcessWorker(spool.config);
    cleanups.push(() => survivor.close());
    await spool.waitForWorkers(2);

    const lines = chatLines(40, { model: MODEL, maxTokens: 60, prefix: 'kill' });
    const file = await uploadBatchFile(spool.client, jsonl(lines));
    const created = await spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await waitForBatch(spool.client, created.id, (batch) => (batch.request_counts?.completed ?? 0) >= 3);
    // Kill the child while it holds lines: its heartbeat shows busy slots.
    const deadline = Date.now() + 10_000;
    for (;;) {
      await spool.api.deps.registry.refresh();
      const child = spool.api.deps.registry.workers().find((worker) => worker.pid === doomed.pid);
      if (child && child.busySlots > 0) break;
      if (Date.now() > deadline) throw new Error('the child worker never took a line');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    doomed.kill('SIGKILL');
    await once(doomed, 'exit');

    const { batch, lines: written } = await expectExactlyOnce(
      spool.client,
      created.id,
      lines.map((line: any) => line.custom_id),
    );
    expect(batch.request_counts!.failed).toBe(0);
    for (const line of written) expect(line.response!.status_code).toBe(200);
  });

  it('resumes a batch when its coordinator (the API process) restarts', async () => {
    // A short grace: a worker closing after the test hands back any straggling line quickly.
    const env = testEnv({ SPOOL_DATA_DIR: dataDir(), MODEL_SLOTS: '2', SHUTDOWN_GRACE_MS: '2000' });
    const config = loadConfig(env, '/nonexistent/.env');
    const logger = createLogger({ name: 'test-api', level: 'silent' });
    const worker = await startInProcessWorker(config);
    cleanups.push(async () => {
      await worker.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${config.REDIS_PREFIX}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });
    const first = await startApi(config, logger);
    const firstClient = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const lines = chatLines(30, { model: MODEL, maxTokens: 60, prefix: 'restart' });
    const file = await uploadBatchFile(firstClient, jsonl(lines));
    const created = await firstClient.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const before = await waitForBatch(firstClient, created.id, (batch) => (batch.request_counts?.completed ?? 0) >= 3);
    await first.close();

    const second = await startApi(config, logger);
    cleanups.push(() => second.close());
    const client = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { batch } = await expectExactlyOnce(
      client,
      created.id,
      lines.map((line: any) => line.custom_id),
    );
    expect(batch.request_counts!.completed).toBeGreaterThan(before.request_counts!.completed);
  });
});
