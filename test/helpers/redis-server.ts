import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from '../../bin/ensure-redis.js';

/**
 * A private `redis-server` that a fault test may stop, kill and restart on the same port, so the
 * shared Redis other tests use is never touched.
 */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server: SIGKILL by default (a crash), SIGTERM for a clean shutdown. Resolves on exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data folder; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it and removes its data folder. */
  close(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Turns on the append-only file (appendfsync everysec), as a durable deployment would. */
  appendonly?: boolean;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spool-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  args.push('--appendonly', options.appendonly ? 'yes' : 'no');
  if (options.appendonly) args.push('--appendfsync', 'everysec');

  const redis: PrivateRedis = {
    url,
    port,
    dir,
    async stop(signal = 'SIGKILL') {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill(signal);
      await exited;
    },
    async start() {
      if (child) return;
      child = spawn('redis-server', args, { stdio: 'ignore' });
      for (let tries = 0; tries < 100; tries += 1) {
        if (await redisAnswers(url)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`private redis-server on port ${port} did not answer`);
    },
    async close() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}
