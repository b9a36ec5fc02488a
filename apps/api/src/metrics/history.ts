/** What one finished request adds to the live view. */
export interface HistoryEntry {
  at: number;
  status: number;
  completionTokens: number;
  ttftMs?: number;
  cache?: string;
}

export interface RecentError {
  at: number;
  requestId: string;
  route: string;
  model?: string;
  status: number;
  type: string;
  code: string | null;
  message: string;
}

const SECONDS = 600;
const TTFT_WINDOW_MS = 60_000;
const TTFT_SAMPLES = 4096;
const RECENT_ERRORS = 20;

const percentile = (sorted: number[], fraction: number) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;

/**
 * The last ten minutes of this API process, one bucket a second in fixed arrays (a ring), so recording
 * is O(1) and allocation-free. Per replica: each API process sees only the requests it served.
 */
export function createHistory(now: () => number = Date.now) {
  const stamps = new Float64Array(SECONDS);
  const requests = new Float64Array(SECONDS);
  const tokens = new Float64Array(SECONDS);
  const errorCounts = new Float64Array(SECONDS);
  const ttftAt = new Float64Array(TTFT_SAMPLES);
  const ttftMs = new Float64Array(TTFT_SAMPLES);
  let ttftNext = 0;
  const cache: Record<string, number> = { 'hit-l1': 0, 'hit-l2': 0, 'hit-l3': 0, miss: 0 };
  const recentErrors: RecentError[] = [];

  const bucket = (second: number) => {
    const index = second % SECONDS;
    if (stamps[index] !== second) {
      stamps[index] = second;
      requests[index] = 0;
      tokens[index] = 0;
      errorCounts[index] = 0;
    }
    return index;
  };

  return {
    record(entry: HistoryEntry): void {
      const index = bucket(Math.floor(entry.at / 1000));
      requests[index]! += 1;
      tokens[index]! += entry.completionTokens;
      if (entry.status >= 400) errorCounts[index]! += 1;
      if (entry.ttftMs !== undefined) {
        ttftAt[ttftNext] = entry.at;
        ttftMs[ttftNext] = entry.ttftMs;
        ttftNext = (ttftNext + 1) % TTFT_SAMPLES;
      }
      if (entry.cache !== undefined && entry.cache in cache) cache[entry.cache]! += 1;
    },
    recordError(error: RecentError): void {
      recentErrors.unshift(error);
      if (recentErrors.length > RECENT_ERRORS) recentErrors.pop();
    },
    /** Per-second series, oldest first, ending with the last complete second. */
    series(seconds = SECONDS) {
      const last = Math.floor(now() / 1000) - 1;
      const points: { t: number; requests: number; tokens: number; errors: number }[] = [];
      for (let second = last - seconds + 1; second <= last; second += 1) {
        const index = second % SECONDS;
        const fresh = stamps[index] === second;
        points.push({ t: second, requests: fresh ? requests[index]! : 0, tokens: fresh ? tokens[index]! : 0, errors: fresh ? errorCounts[index]! : 0 });
      }
      return points;
    },
    /** Rates over the last `seconds` complete seconds. */
    rates(seconds = 10) {
      const points = this.series(seconds);
      const sum = (key: 'requests' | 'tokens' | 'errors') => points.reduce((total, point) => total + point[key], 0);
      return { requestsPerSecond: sum('requests') / seconds, tokensPerSecond: sum('tokens') / seconds, errorsPerSecond: sum('errors') / seconds };
    },
    /** Time to first token percentiles over the last minute. */
    ttft() {
      const since = now() - TTFT_WINDOW_MS;
      const samples: number[] = [];
      for (let index = 0; index < TTFT_SAMPLES; index += 1) if (ttftAt[index]! > since) samples.push(ttftMs[index]!);
      samples.sort((a, b) => a - b);
      return { p50Ms: percentile(samples, 0.5), p95Ms: percentile(samples, 0.95), samples: samples.length };
    },
    cacheCounts: () => ({ ...cache }),
    recentErrors: () => [...recentErrors],
  };
}
export type History = ReturnType<typeof createHistory>;
