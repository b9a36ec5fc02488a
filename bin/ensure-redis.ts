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
 * Uses the Redis at `url` when it answers; otherwise starts a private `redis-server` (nothing saved
 * to disk) and returns its URL and process. Fails with one clear line when neither is possible.
 */
export async function ensureRedis(url: string, dataDir: string): Promise<{ url: string; process?: ChildProcess }> {
  if (await redisAnswers(url)) return { url };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(`No Redis answers at ${url} and redis-server is not installed (Debian: apt-get install redis-server).`);
  }
  const port = await freePort();
  mkdirSync(`${dataDir}/redis`, { recursive: true });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', `${dataDir}/redis`], {
    stdio: 'ignore',
  });
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let tries = 0; tries < 50; tries += 1) {
    if (await redisAnswers(privateUrl)) return { url: privateUrl, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`Started redis-server on port ${port} but it did not answer.`);
}
