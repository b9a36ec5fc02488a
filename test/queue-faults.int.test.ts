import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisNames, type JobEvent } from '@spool/shared';
import { MODEL, REDIS_URL, startInProcessWorker, startSpool, startWorkerProcess, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const long = { model: MODEL, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 450, temperature: 0 };

/** Calls `onStart(workerId)` when a worker starts a job under this Spool's prefix. */
async function onJobStart(spool: Spool, onStart: (workerId: string) => void): Promise<Redis> {
  const watcher = new Redis(REDIS_URL);
  await watcher.psubscribe(`${spool.config.REDIS_PREFIX}:job:*`);
  watcher.on('pmessage', (_pattern, _channel, message) => {
    for (const event of JSON.parse(message) as JobEvent[]) if (event.type === 'start') onStart(event.workerId);
  });
  return watcher;
}

describe('queue faults: aborts, dead workers, bounds, shutdown', () => {
  let spool: Spool | undefined;
  let inProcess: InProcessWorker | undefined;
  const children: ChildProcess[] = [];
  const watchers: Redis[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const watcher of watchers.splice(0)) watcher.disconnect();
    await inProcess?.close();
    inProcess = undefined;
    await spool?.close();
    spool = undefined;
  });

  it('frees the slot when the client aborts a stream, so a follow-up on a 1-slot worker starts at once', async () => {
    // A long generation (2,000 tokens, seconds even on a loaded machine) so the abort lands mid-way.
    spool = await startSpool({ MODEL_SLOTS: '1', MODEL_PRIORITY_SLOTS: '0', MODEL_CONTEXT_SIZE: '2048' });
    inProcess = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
    const before = inProcess.engine.stats().generatedTokens;
    const controller = new AbortController();
    const stream = await spool.client.chat.completions.create({ ...long, max_tokens: 2000, stream: true }, { signal: controller.signal });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) break; // leaving the loop aborts the HTTP request
    }
    const followUp = await spool.client.chat.completions.create({ ...long, max_tokens: 5 });
    expect(followUp.usage!.completion_tokens).toBe(5);
    // The aborted generation stopped early: far fewer than its 2,000 tokens were decoded in all.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inProcess.engine.stats().generatedTokens - before).toBeLessThan(1000);
    expect(inProcess.engine.stats().busySlots).toBe(0);
  });

  it('re-runs a non-streamed job on another worker when its worker is killed, and still answers', async () => {
    spool = await startSpool({ MODEL_SLOTS: '2', MODEL_THREADS: '1' });
    children.push(startWorkerProcess(spool.env), startWorkerProcess(spool.env));
    await spool.waitForWorkers(2);
    const starts: string[] = [];
    const registry = spool.api.deps.registry;
    watchers.push(
      await onJobStart(spool, (workerId) => {
        starts.push(workerId);
        if (starts.length === 1) {
          const victim = registry.workers().find((worker) => worker.workerId === workerId)!;
          process.kill(victim.pid, 'SIGKILL');
        }
      }),
    );
    const answer = await spool.client.chat.completions.create({ ...long, max_tokens: 300 }, { timeout: 30_000 });
    expect(answer.usage!.completion_tokens).toBe(300);
    expect(starts.length).toBe(2);
    expect(starts[1]).not.toBe(starts[0]);
    const reference = await spool.client.chat.completions.create({ ...long, max_tokens: 300 });
    expect(answer.choices[0]!.message.content).toBe(reference.choices[0]!.message.content);
  });

  it('ends a stream that already sent tokens with an error event when its worker dies', async () => {
    spool = await startSpool({ MODEL_SLOTS: '2' });
    children.push(startWorkerProcess(spool.env), startWorkerProcess(spool.env));
    await spool.waitForWorkers(2);
    let servingWorker: string | undefined;
    watchers.push(await onJobStart(spool, (workerId) => (servingWorker ??= workerId)));
    const stream = await spool.client.chat.completions.create({ ...long, stream: true }, { timeout: 30_000 });
    let received = '';
    const read = (async () => {
      for await (const chunk of stream) {
        received += chunk.choices[0]?.delta.content ?? '';
        if (received.length > 0 && servingWorker) {
          const victim = spool!.api.deps.registry.workers().find((worker) => worker.workerId === servingWorker)!;
          process.kill(victim.pid, 'SIGKILL');
          servingWorker = '';
        }
      }
    })();
    await expect(read).rejects.toMatchObject({ code: 'worker_lost' });
    expect(received.length).toBeGreaterThan(0);
  });

  it('refuses at once with 429 and Retry-After when the queue is full, and drops requests that wait too long with 503', async () => {
    spool = await startSpool({ MAX_QUEUED_REQUESTS: '2', MAX_QUEUE_WAIT_MS: '1500' });
    // A worker that announces itself but never pulls: requests pile up in the queue.
    const redis = new Redis(REDIS_URL);
    const names = redisNames(spool.config.REDIS_PREFIX);
    await redis.hset(names.workers, 'idle', JSON.stringify({ workerId: 'idle', model: MODEL, contextLength: 512, slots: 1, seenAt: Date.now() + 60_000 }));
    await spool.api.deps.registry.refresh();
    const waiting = [1, 2].map(() => spool!.client.chat.completions.create({ ...long, max_tokens: 4 }).catch((error) => error));
    while ((await spool.api.deps.jobs.depth(MODEL)) < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const refused = await fetch(`${spool.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...long, max_tokens: 4 }),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('queue_full');
    for (const outcome of await Promise.all(waiting)) expect(outcome).toMatchObject({ status: 503, code: 'queue_timeout' });
    expect(await spool.api.deps.jobs.depth(MODEL)).toBe(0);
    redis.disconnect();
  });

  it('finishes the running job on SIGTERM and exits 0', async () => {
    spool = await startSpool({ MODEL_SLOTS: '1' });
    const child = startWorkerProcess(spool.env);
    children.push(child);
    await spool.waitForWorkers(1);
    watchers.push(await onJobStart(spool, () => child.kill('SIGTERM')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const answer = await spool.client.chat.completions.create({ ...long, max_tokens: 300 });
    expect(answer.usage!.completion_tokens).toBe(300);
    expect(await exited).toBe(0);
  });
});
