import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@spool/api';
import { createLogger, loadConfig, redisNames, type AsyncJobObject, type Config } from '@spool/shared';
import { chatLines, fileLines, jsonl, uploadBatchFile, waitForBatch } from './helpers/batch-files.js';
import { startPrivateRedis, type PrivateRedis } from './helpers/redis-server.js';
import { MODEL, startInProcessWorker, testEnv } from './helpers/spool-harness.js';

const dataDir = () => `/tmp/spool-test-${process.pid}-${Date.now()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the API sees a live worker (it accepts requests for a model only then). */
async function waitForWorker(api: RunningApi): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await api.deps.registry.refresh();
    if (api.deps.registry.workers().some((worker) => worker.model === MODEL)) return;
    if (Date.now() > deadline) throw new Error('no worker announced itself');
    await sleep(100);
  }
}

/** An API whose JSON log lines the test reads. */
async function startLoggedApi(config: Config): Promise<{ api: RunningApi; client: OpenAI; logs: Record<string, any>[] }> {
  const logs: Record<string, any>[] = [];
  const logger = createLogger({ name: 'test-api', level: 'info', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
  const api = await startApi(config, logger);
  return { api, client: new OpenAI({ baseURL: `${api.url}/v1`, apiKey: 'unused', maxRetries: 0 }), logs };
}

describe('Redis data loss', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function privateRedis(appendonly: boolean): Promise<PrivateRedis> {
    const redis = await startPrivateRedis({ appendonly });
    cleanups.push(() => redis.close());
    return redis;
  }

  it('restores files and a running batch from their sidecars after Redis comes back empty, removes orphaned bytes, and logs each', async () => {
    const redis = await privateRedis(false);
    const directory = dataDir();
    cleanups.push(async () => rmSync(directory, { recursive: true, force: true }));
    const config = loadConfig(testEnv({ REDIS_URL: redis.url, SPOOL_DATA_DIR: directory, DATA_RECONCILE_GRACE_S: '0', MODEL_SLOTS: '2' }), '/nonexistent/.env');

    // Before the loss: two uploads and a batch that a coordinator took up (no worker yet, so it waits in_progress).
    const first = await startLoggedApi(config);
    const lines = chatLines(12, { model: MODEL, maxTokens: 16, prefix: 'lost' });
    const input = await uploadBatchFile(first.client, jsonl(lines));
    const other = await uploadBatchFile(first.client, jsonl(chatLines(3, { model: MODEL, maxTokens: 4 })), 'other.jsonl');
    const created = await first.client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await waitForBatch(first.client, created.id, (batch) => batch.status === 'in_progress');
    await first.api.close();
    // What crashes leave behind: bytes never recorded, a batch folder without its sidecar, a scratch file.
    writeFileSync(join(directory, 'files', 'file-000000000000000000orphan'), Buffer.alloc(1 << 20));
    mkdirSync(join(directory, 'batches', 'batch_orphan'));
    writeFileSync(join(directory, 'batches', 'batch_orphan', 'output.partial.jsonl'), '{"custom_id":"x"}\n');
    writeFileSync(join(directory, 'files', '.batch_orphan-output.0000.tmp'), 'partial');

    await redis.stop('SIGKILL');
    await redis.start();
    const probe = new Redis(redis.url);
    expect(await probe.dbsize()).toBe(0);
    probe.disconnect();

    const second = await startLoggedApi(config);
    cleanups.push(() => second.api.close());
    const items = second.logs.filter((line) => line.reconcile).map((line) => line.reconcile);
    const summary = second.logs.find((line) => line.reconcileSummary)?.reconcileSummary;
    console.log(`start-up reconcile after Redis came back empty: ${JSON.stringify(summary)}\n${items.map((item) => JSON.stringify(item)).join('\n')}`);
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'file', id: input.id, action: 'restored' }),
        expect.objectContaining({ kind: 'file', id: other.id, action: 'restored' }),
        expect.objectContaining({ kind: 'batch', id: created.id, action: 'restored' }),
        expect.objectContaining({ kind: 'file', id: 'file-000000000000000000orphan', action: 'removed', bytes: 1 << 20 }),
        expect.objectContaining({ kind: 'batch', id: 'batch_orphan', action: 'removed' }),
        expect.objectContaining({ kind: 'scratch', action: 'removed' }),
      ]),
    );
    expect(items).toHaveLength(6);
    expect(summary).toMatchObject({ restoredFiles: 2, restoredBatches: 1, removedFiles: 1, removedBatches: 1, removedScratch: 1 });
    expect(summary.freedBytes).toBeGreaterThanOrEqual(1 << 20);
    expect(existsSync(join(directory, 'files', 'file-000000000000000000orphan'))).toBe(false);
    expect(existsSync(join(directory, 'batches', 'batch_orphan'))).toBe(false);

    // The files are back as they were, and the batch runs to its end once a worker is there.
    expect(await second.client.files.retrieve(other.id)).toMatchObject({ id: other.id, filename: 'other.jsonl', purpose: 'batch' });
    expect((await second.client.files.list()).data.map((file) => file.id).sort()).toEqual([input.id, other.id].sort());
    const worker = await startInProcessWorker(config);
    cleanups.push(() => worker.close());
    const batch = await waitForBatch(second.client, created.id, undefined, 60_000);
    expect(batch.status).toBe('completed');
    expect((await fileLines(second.client, batch.output_file_id)).map((line) => line.custom_id).sort()).toEqual(
      lines.map((line: any) => line.custom_id).sort(),
    );

    // No orphaned bytes: every file on disk has its record, and no batch folder is left.
    const onDisk = readdirSync(join(directory, 'files')).filter((name) => !name.endsWith('.json'));
    expect(onDisk.sort()).toEqual([input.id, other.id, batch.output_file_id!].sort());
    expect(readdirSync(join(directory, 'batches'))).toEqual([]);
  }, 120_000);

  for (const appendonly of [true, false]) {
    it(
      appendonly
        ? 'keeps accepted queued jobs across a SIGKILL of Redis with AOF on, and they complete'
        : 'loses accepted queued jobs across a SIGKILL of Redis without persistence (why npm start turns AOF on)',
      async () => {
        const redis = await privateRedis(appendonly);
        const directory = dataDir();
        cleanups.push(async () => rmSync(directory, { recursive: true, force: true }));
        // One slot and no priority lane: one job runs, the others wait in the queue.
        const config = loadConfig(
          testEnv({ REDIS_URL: redis.url, SPOOL_DATA_DIR: directory, MODEL_SLOTS: '1', MODEL_PRIORITY_SLOTS: '0', SHUTDOWN_GRACE_MS: '0' }),
          '/nonexistent/.env',
        );
        const first = await startLoggedApi(config);
        const firstWorker = await startInProcessWorker(config);
        await waitForWorker(first.api);
        const ids: string[] = [];
        for (let index = 0; index < 6; index += 1) {
          const job = (await first.client.completions.create({
            model: MODEL,
            prompt: `Story ${index}:`,
            max_tokens: 200,
            background: true,
          } as never)) as unknown as AsyncJobObject;
          ids.push(job.id);
        }
        // The worker hands its running job back to the queue; the API goes too. Then Redis is killed.
        await firstWorker.close();
        await first.api.close();
        await redis.stop('SIGKILL');
        await redis.start();

        const second = await startLoggedApi(config);
        cleanups.push(() => second.api.close());
        const worker = await startInProcessWorker(config);
        cleanups.push(() => worker.close());
        const statuses = await Promise.all(
          ids.map(async (id) => {
            const deadline = Date.now() + 120_000;
            for (;;) {
              const job = (await second.client
                .get(`/jobs/${id}`)
                .catch((error: { status?: number }) => ({ status: error.status === 404 ? 'lost' : 'error' }))) as { status: string };
              if (!['queued', 'in_progress'].includes(job.status) || Date.now() > deadline) return job.status;
              await sleep(100);
            }
          }),
        );
        if (appendonly) {
          expect(statuses).toEqual(ids.map(() => 'completed'));
          const probe = new Redis(redis.url);
          expect(Number((await probe.get(redisNames(config.REDIS_PREFIX).queuedTokens(MODEL))) ?? 0)).toBe(0);
          probe.disconnect();
        } else {
          expect(statuses).toEqual(ids.map(() => 'lost'));
        }
      },
      240_000,
    );
  }
});
