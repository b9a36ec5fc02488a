import { describe, expect, it } from 'vitest';
import { configSchema } from '@spool/shared';
import type { JobOutput } from '../respond/job-output.js';
import { cacheAccess, recordOutput, replayOutput } from './cached-generation.js';
import type { CachedResult } from './cached-result.js';

const config = (policy: 'deterministic' | 'all' | 'off') => configSchema.parse({ CACHE_POLICY: policy });

describe('cacheAccess', () => {
  it('caches temperature 0 or a seed by default, and counts a missing temperature as 1', () => {
    expect(cacheAccess(config('deterministic'), { temperature: 0 }, undefined)).toEqual({ read: true, write: true });
    expect(cacheAccess(config('deterministic'), { seed: 4 }, undefined)).toEqual({ read: true, write: true });
    expect(cacheAccess(config('deterministic'), {}, undefined)).toEqual({ read: false, write: false });
    expect(cacheAccess(config('all'), {}, undefined)).toEqual({ read: true, write: true });
    expect(cacheAccess(config('off'), { temperature: 0 }, undefined)).toEqual({ read: false, write: false });
  });

  it('honours no-cache and no-store among other directives', () => {
    expect(cacheAccess(config('all'), {}, 'max-age=0, No-Cache')).toEqual({ read: false, write: true });
    expect(cacheAccess(config('all'), {}, 'no-cache, no-store')).toEqual({ read: false, write: false });
  });
});

describe('recordOutput and replayOutput', () => {
  it('record what a replay reproduces, discarding output before a reset', async () => {
    const usage = { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 };
    async function* generated(): AsyncIterable<JobOutput> {
      yield { type: 'text', choice: 0, text: 'lost' };
      yield { type: 'reset' };
      yield { type: 'text', choice: 0, text: 'Hel' };
      yield { type: 'text', choice: 1, text: 'x' };
      yield { type: 'text', choice: 0, text: 'lo' };
      yield { type: 'tool-call', choice: 1, index: 0, id: 'c1', name: 'f', arguments: '{"a"' };
      yield { type: 'tool-call', choice: 1, index: 0, arguments: ':1}' };
      yield { type: 'choice-end', choice: 0, finishReason: 'length' };
      yield { type: 'choice-end', choice: 1, finishReason: 'tool_calls' };
      yield { type: 'done', usage };
    }
    let recorded: CachedResult | undefined;
    for await (const _ of recordOutput(generated(), 2, (result) => (recorded = result)));
    expect(recorded).toEqual({
      choices: [
        { text: 'Hello', toolCalls: [], finishReason: 'length' },
        { text: 'x', toolCalls: [{ id: 'c1', name: 'f', arguments: '{"a":1}' }], finishReason: 'tool_calls' },
      ],
      usage,
    });
    let again: CachedResult | undefined;
    for await (const _ of recordOutput(replayOutput(recorded!), 2, (result) => (again = result)));
    expect(again).toEqual(recorded);
  });

  it('records nothing when the output ends without done', async () => {
    async function* cut(): AsyncIterable<JobOutput> {
      yield { type: 'text', choice: 0, text: 'partial' };
    }
    let recorded: CachedResult | undefined;
    for await (const _ of recordOutput(cut(), 1, (result) => (recorded = result)));
    expect(recorded).toBeUndefined();
  });
});
