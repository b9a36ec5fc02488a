import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisNames, type Config, type JobEvent } from '@spool/shared';
import { withFatalFault, type FaultyEngine } from './helpers/fatal-engine-fault.js';
import { MODEL, REDIS_URL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An in-process worker on the real model whose engine the test can make die. */
function startFaultyWorker(config: Config): Promise<InProcessWorker<FaultyEngine>> {
  return startInProcessWorker(config, undefined, withFatalFault);
}

describe('a worker whose engine thread dies', () => {
  let spool: Spool | undefined;
  const workers: InProcessWorker<FaultyEngine>[] = [];
  const connections: Redis[] = [];

  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.close();
    for (const connection of connections.splice(0)) connection.disconnect();
    await spool?.close();
    spool = undefined;
  });

  it('stops announcing itself and taking jobs, and its running job completes on the other worker', async () => {
    spool = await startSpool({ MODEL_SLOTS: '2', MODEL_CONTEXT_SIZE: '2048' });
    workers.push(await startFaultyWorker(spool.config), await startFaultyWorker(spool.config));
    await spool.waitForWorkers(2);
    const names = redisNames(spool.config.REDIS_PREFIX);
    const redis = new Redis(REDIS_URL);
    const watcher = new Redis(REDIS_URL);
    connections.push(redis, watcher);

    // Kill the engine thread of whichever worker starts the job, while the job runs there.
    const starts: string[] = [];
    let victim: (typeof workers)[number] | undefined;
    await watcher.psubscribe(`${spool.config.REDIS_PREFIX}:job:*`);
    watcher.on('pmessage', (_pattern, _channel, message) => {
      for (const event of JSON.parse(message) as JobEvent[]) {
        if (event.type !== 'start') continue;
        starts.push(event.workerId);
        if (starts.length === 1) {
          victim = workers.find((worker) => worker.worker.id === event.workerId)!;
          victim.engine.die();
        }
      }
    });

    const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 1500, temperature: 0 };
    const answer = await spool.client.chat.completions.create(request, { timeout: 120_000 });
    expect(answer.usage!.completion_tokens).toBe(1500);
    expect(starts).toHaveLength(2);
    const survivor = workers.find((worker) => worker !== victim)!;
    expect(starts[1]).toBe(survivor.worker.id);

    // The dead worker said so, left the registry and stays out of it.
    expect(await victim!.worker.lost).toBeInstanceOf(Error);
    await sleep(3 * spool.config.HEARTBEAT_INTERVAL_MS);
    expect(Object.keys(await redis.hgetall(names.workers))).toEqual([survivor.worker.id]);
    await spool.api.deps.registry.refresh();
    expect(spool.api.deps.registry.workers().map((worker) => worker.workerId)).toEqual([survivor.worker.id]);

    // It takes no more jobs: the next requests all run on the survivor.
    await Promise.all([1, 2, 3].map(() => spool!.client.chat.completions.create({ ...request, max_tokens: 8 })));
    expect(starts.slice(2)).toEqual([survivor.worker.id, survivor.worker.id, survivor.worker.id]);

    // The API routes only to live engines: with the survivor gone too, the model is not ready and not listed.
    expect((await fetch(`${spool.url}/ready`)).status).toBe(200);
    await survivor.close();
    workers.splice(workers.indexOf(survivor), 1);
    await spool.api.deps.registry.refresh();
    expect((await fetch(`${spool.url}/ready`)).status).toBe(503);
    expect((await spool.client.models.list()).data.map((model) => model.id)).not.toContain(MODEL);
  }, 180_000);

  it('exits 1 after leaving the registry, as a worker process, so its supervisor starts a fresh one', async () => {
    spool = await startSpool();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/faulty-worker-process.ts'], {
      env: { ...process.env, ...spool.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // Worker processes start slowly on a loaded machine (tsx, then the model).
      await spool.waitForWorkers(1, 120_000);
      child.kill('SIGUSR2');
      expect(await exited).toBe(1);
      const redis = new Redis(REDIS_URL);
      connections.push(redis);
      expect(await redis.hlen(redisNames(spool.config.REDIS_PREFIX).workers)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 180_000);
});
