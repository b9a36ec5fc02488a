import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { asyncJobKeys, eventLogSequence, redisNames, type AsyncJobObject, type JobEvent, type WorkerAnnouncement } from '@spool/shared';
import { MODEL, REDIS_URL, startSpool, startWorkerProcess, type Spool } from './helpers/spool-harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('a worker that stalls past its lock and then resumes', () => {
  let spool: Spool | undefined;
  const children: ChildProcess[] = [];
  const connections: Redis[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    for (const connection of connections.splice(0)) connection.disconnect();
    await spool?.close();
    spool = undefined;
  });

  it('cannot write to the job once another worker took it: the event log holds the new attempt after the old one, never interleaved, and the stale worker frees its slot', async () => {
    spool = await startSpool({ MODEL_SLOTS: '1', MODEL_CONTEXT_SIZE: '2048' });
    const names = redisNames(spool.config.REDIS_PREFIX);
    const redis = new Redis(REDIS_URL);
    const watcher = new Redis(REDIS_URL);
    connections.push(redis, watcher);
    const announcement = async (pid: number) =>
      Object.values(await redis.hgetall(names.workers))
        .map((json) => JSON.parse(json) as WorkerAnnouncement)
        .find((worker) => worker.pid === pid);

    const stale = startWorkerProcess(spool.env);
    children.push(stale);
    // Worker processes start slowly on a loaded machine (tsx, then the model).
    await spool.waitForWorkers(1, 120_000);
    const staleId = (await until('the first worker', () => announcement(stale.pid!)))!.workerId;

    // Everything published on the job's channel, in order, and the moment the stale worker resumed.
    const heard: { event: JobEvent; afterResume: boolean }[] = [];
    let resumed = false;
    await watcher.psubscribe(`${spool.config.REDIS_PREFIX}:job:*`);
    watcher.on('pmessage', (_pattern, _channel, message) => {
      for (const event of JSON.parse(message) as JobEvent[]) {
        heard.push({ event, afterResume: resumed });
        // Freeze the worker the moment it starts: its lock can no longer be renewed.
        if (event.type === 'start' && event.workerId === staleId && heard.length === 1) stale.kill('SIGSTOP');
      }
    });

    const job = (await spool.client.completions.create({
      model: MODEL,
      prompt: 'Once upon a time',
      max_tokens: 1000,
      temperature: 0,
      background: true,
    } as never)) as unknown as AsyncJobObject;
    await until('the stale worker to start the job', async () => (heard.length > 0 ? true : undefined));

    // A second worker's stalled-job check finds the expired lock and runs the job from the start.
    const fresh = startWorkerProcess(spool.env);
    children.push(fresh);
    const finished = await until('the job to end on the second worker', async () => {
      const status = (await spool!.client.get(`/jobs/${job.id}`)) as AsyncJobObject;
      return ['queued', 'in_progress'].includes(status.status) ? undefined : status;
    });
    expect(finished.status).toBe('completed');
    const keys = asyncJobKeys(spool.config.REDIS_PREFIX);
    const readLog = async () =>
      ((await redis.xrange(keys.eventLog(job.id), '-', '+')) as [string, string[]][]).map(([id, fields]) => ({
        sequence: eventLogSequence(id),
        event: JSON.parse(fields[1]!) as JobEvent,
      }));
    const logBefore = await readLog();

    // Resume the stale worker; wait until it announces itself again with its slot free.
    const resumedAt = Date.now();
    resumed = true;
    stale.kill('SIGCONT');
    const after = await until('the resumed worker to free its slot', async () => {
      const seen = await announcement(stale.pid!);
      return seen && seen.seenAt > resumedAt + 500 && seen.busySlots === 0 ? seen : undefined;
    });
    await sleep(1000);

    // The log did not change, and reads as one numbered sequence: what the stale attempt wrote before
    // it froze, then the whole second attempt, ending in its one `done`.
    const log = await readLog();
    expect(log).toEqual(logBefore);
    expect(log.map((entry) => entry.sequence)).toEqual(log.map((_, index) => index));
    const secondStart = log.findIndex((entry) => entry.event.attempt === 2);
    expect(secondStart).toBeGreaterThan(0);
    expect(log.slice(0, secondStart).every((entry) => entry.event.attempt === 1)).toBe(true);
    expect(log.slice(secondStart).every((entry) => entry.event.attempt === 2)).toBe(true);
    expect(log[secondStart]!.event).toMatchObject({ type: 'start' });
    expect((log[secondStart]!.event as { workerId: string }).workerId).not.toBe(staleId);
    expect(log.filter((entry) => entry.event.type === 'done')).toHaveLength(1);
    expect(log.at(-1)!.event.type).toBe('done');
    const secondText = log
      .slice(secondStart)
      .map((entry) => (entry.event.type === 'text-delta' ? entry.event.text : ''))
      .join('');
    expect((finished.result as { choices: { text: string }[] }).choices[0]!.text).toBe(secondText);

    // Nothing of the first attempt went out on the channel after the second began, nor after the resume.
    const firstOfSecond = heard.findIndex(({ event }) => event.attempt === 2);
    expect(heard.slice(firstOfSecond).filter(({ event }) => event.attempt !== 2)).toEqual([]);
    expect(heard.filter(({ afterResume }) => afterResume)).toEqual([]);

    // The stale attempt was abandoned, not run to its end: its worker decoded far fewer than 1,000 tokens.
    expect(after.generatedTokens).toBeLessThan(1000);
    expect(stale.exitCode).toBeNull();
  }, 300_000);
});
