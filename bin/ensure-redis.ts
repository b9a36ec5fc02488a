import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** Whether a Redis answers PING at `url` within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * How the private Redis keeps what it was given: every write appended to a file in the data folder
 * and synced each second, so restarting `npm start` (or a crash of redis-server) keeps queued jobs,
 * batches and files. `noeviction`: BullMQ's keys must never be evicted.
 */
export const DURABLE_REDIS_ARGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'];

/**
 * Uses the Redis at `url` when it answers; otherwise starts a private `redis-server` whose data
 * lives in `<dataDir>/redis` (see DURABLE_REDIS_ARGS) and returns its URL and process. Fails with
 * one clear line when neither is possible.
 */
export async function ensureRedis(url: string, dataDir: string): Promise<{ url: string; process?: ChildProcess }> {
  if (await redisAnswers(url)) return { url };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(`No Redis answers at ${url} and redis-server is not installed (Debian: apt-get install redis-server).`);
  }
  const port = await freePort();
  mkdirSync(`${dataDir}/redis`, { recursive: true });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...DURABLE_REDIS_ARGS, '--dir', `${dataDir}/redis`], {
    stdio: 'ignore',
    // Its own process group: a terminal's Ctrl-C must not stop Redis under the API's drain.
    detached: true,
  });
  const privateUrl = `redis://127.0.0.1:${port}`;
  // Up to a minute: a large append-only file takes a while to load, and Redis answers LOADING until then.
  for (let tries = 0; tries < 600 && child.exitCode === null; tries += 1) {
    if (await redisAnswers(privateUrl)) return { url: privateUrl, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`Started redis-server on port ${port} but it did not answer.`);
}
