import { describe, expect, it } from 'vitest';
import { createHistory } from './history.js';

describe('createHistory', () => {
  it('keeps per-second counts for ten minutes and forgets older seconds', () => {
    let now = 1_000_000_000;
    const history = createHistory(() => now);
    history.record({ at: now - 5_000, status: 200, completionTokens: 10 });
    history.record({ at: now - 5_000, status: 500, completionTokens: 0 });
    history.record({ at: now - 2_000, status: 200, completionTokens: 30 });
    expect(history.rates(10)).toEqual({ requestsPerSecond: 0.3, tokensPerSecond: 4, errorsPerSecond: 0.1 });
    const series = history.series();
    expect(series).toHaveLength(600);
    expect(series.reduce((sum, point) => sum + point.tokens, 0)).toBe(40);
    now += 600_000;
    expect(history.series().reduce((sum, point) => sum + point.requests, 0)).toBe(0);
    // A bucket reused a ring later starts from zero.
    history.record({ at: now - 5_000, status: 200, completionTokens: 1 });
    expect(history.rates(10).tokensPerSecond).toBe(0.1);
  });

  it('gives TTFT percentiles over the last minute only', () => {
    let now = 2_000_000_000;
    const history = createHistory(() => now);
    history.record({ at: now - 120_000, status: 200, completionTokens: 1, ttftMs: 5000 });
    for (let index = 1; index <= 100; index += 1) history.record({ at: now - 1000, status: 200, completionTokens: 1, ttftMs: index });
    expect(history.ttft()).toEqual({ p50Ms: 51, p95Ms: 96, samples: 100 });
    now += 61_000;
    expect(history.ttft()).toEqual({ p50Ms: null, p95Ms: null, samples: 0 });
  });
});
