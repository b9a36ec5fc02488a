import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskLevel, type DiskLevel } from './disk-level.js';

describe('disk level (L3)', () => {
  const dirs: string[] = [];
  const levels: DiskLevel[] = [];
  const open = (options: { maxBytes?: number; ttlMs?: number; now?: () => number } = {}, dir = mkdtempSync(join(tmpdir(), 'spool-l3-'))) => {
    dirs.push(dir);
    const level = createDiskLevel({
      path: join(dir, 'cache', 'l3.sqlite'),
      maxBytes: options.maxBytes ?? 1e6,
      ttlMs: options.ttlMs ?? 60_000,
      now: options.now,
    });
    levels.push(level);
    return level;
  };
  afterEach(() => {
    for (const level of levels.splice(0)) level.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('stores, reads back and survives a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-l3-'));
    const first = open({}, dir);
    first.set('k', 'm', Buffer.from('value'));
    expect(first.get('k')?.toString()).toBe('value');
    first.close();
    levels.pop();
    const again = open({}, dir);
    expect(again.get('k')?.toString()).toBe('value');
    expect(again.bytes).toBe(5);
  });

  it('evicts the least recently used entries to stay under its byte bound', () => {
    let clock = 1000;
    const level = open({ maxBytes: 300, now: () => clock });
    for (const key of ['a', 'b', 'c']) {
      clock += 1000;
      level.set(key, 'm', Buffer.alloc(100, key));
    }
    clock += 1000;
    expect(level.get('a')).toBeDefined();
    clock += 1000;
    level.set('d', 'm', Buffer.alloc(100, 'd'));
    expect(level.get('b')).toBeUndefined();
    expect(level.get('a')).toBeDefined();
    expect(level.get('d')).toBeDefined();
    expect(level.bytes).toBeLessThanOrEqual(300);
    expect(level.evictions).toBe(1);
  });

  it('expires entries after their TTL, on read and in the sweep', () => {
    let clock = 0;
    const level = open({ ttlMs: 100, now: () => clock });
    level.set('a', 'm', Buffer.from('x'));
    level.set('b', 'm', Buffer.from('y'));
    clock = 99;
    expect(level.get('a')).toBeDefined();
    clock = 100;
    expect(level.get('a')).toBeUndefined();
    expect(level.sweep().expired).toBe(1);
    expect(level.count).toBe(0);
  });

  it('drops the entries of a removed model, directly or in the sweep', () => {
    const level = open();
    level.set('a', 'gone', Buffer.from('x'));
    level.set('b', 'kept', Buffer.from('y'));
    level.set('c', 'other', Buffer.from('z'));
    expect(level.deleteModel('gone')).toBe(1);
    expect(level.sweep(['kept']).removedModels).toBe(1);
    expect(level.get('b')).toBeDefined();
    expect(level.count).toBe(1);
  });
});
