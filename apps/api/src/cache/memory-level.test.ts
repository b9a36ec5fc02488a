import { describe, expect, it } from 'vitest';
import { createMemoryLevel } from './memory-level.js';

const value = { choices: [], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } };

describe('memory level (L1)', () => {
  it('evicts the least recently used entries past its byte bound', () => {
    const level = createMemoryLevel({ maxBytes: 250, ttlMs: 60_000 });
    level.set('a', value, 99);
    level.set('b', value, 99);
    level.get('a');
    level.set('c', value, 99);
    expect(level.get('b')).toBeUndefined();
    expect(level.get('a')).toBe(value);
    expect(level.bytes).toBeLessThanOrEqual(250);
  });

  it('expires entries after their TTL', async () => {
    const level = createMemoryLevel({ maxBytes: 1000, ttlMs: 30 });
    level.set('a', value, 10);
    expect(level.get('a')).toBe(value);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(level.get('a')).toBeUndefined();
  });

  it('deletes by key prefix', () => {
    const level = createMemoryLevel({ maxBytes: 1000, ttlMs: 60_000 });
    level.set('v1:m1:x', value, 1);
    level.set('v1:m2:y', value, 1);
    expect(level.deletePrefix('v1:m1:')).toBe(1);
    expect(level.size).toBe(1);
  });
});
