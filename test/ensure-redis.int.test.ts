import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ensureRedis } from '../bin/ensure-redis.js';

describe("npm start's private Redis", () => {
  it('keeps what it was given across a SIGKILL: it appends every write to a file in SPOOL_DATA_DIR/redis', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spool-ensure-redis-'));
    // Nothing answers on port 1, so a private redis-server is started.
    const first = await ensureRedis('redis://127.0.0.1:1', dataDir);
    try {
      expect(first.process).toBeDefined();
      const client = new Redis(first.url);
      expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      await client.set('accepted', 'work');
      client.disconnect();
      first.process!.kill('SIGKILL');
      await once(first.process!, 'exit');
      expect(existsSync(join(dataDir, 'redis'))).toBe(true);
      expect(readdirSync(join(dataDir, 'redis')).some((name) => name.startsWith('appendonly'))).toBe(true);

      const second = await ensureRedis('redis://127.0.0.1:1', dataDir);
      try {
        const again = new Redis(second.url);
        expect(await again.get('accepted')).toBe('work');
        again.disconnect();
      } finally {
        second.process?.kill('SIGKILL');
        if (second.process) await once(second.process, 'exit');
      }
    } finally {
      if (first.process && first.process.exitCode === null && first.process.signalCode === null) first.process.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
