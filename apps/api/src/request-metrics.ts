/** Totals for the periodic metrics log line; durations are kept per interval for percentiles. */
export interface RequestMetrics {
  record(entry: { status: number; durationMs: number; completionTokens: number; promptTokens: number }): void;
  /** Returns the totals and the interval's duration percentiles, then starts a new interval. */
  snapshot(): {
    requests: number;
    errors: number;
    promptTokens: number;
    tokensGenerated: number;
    durationP50Ms: number | null;
    durationP95Ms: number | null;
  };
}

const percentile = (sorted: number[], fraction: number) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;

export function createRequestMetrics(): RequestMetrics {
  let requests = 0;
  let errors = 0;
  let promptTokens = 0;
  let tokensGenerated = 0;
  let durations: number[] = [];
  return {
    record(entry) {
      requests += 1;
      if (entry.status >= 400) errors += 1;
      promptTokens += entry.promptTokens;
      tokensGenerated += entry.completionTokens;
      durations.push(entry.durationMs);
    },
    snapshot() {
      const sorted = durations.sort((a, b) => a - b);
      durations = [];
      return {
        requests,
        errors,
        promptTokens,
        tokensGenerated,
        durationP50Ms: percentile(sorted, 0.5),
        durationP95Ms: percentile(sorted, 0.95),
      };
    },
  };
}
