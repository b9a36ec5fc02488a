/** Figures read from vLLM's Prometheus `/metrics` text. */
export interface VllmMetrics {
  /** Fraction (0..1) of the KV cache in use. */
  kvCacheUsage?: number;
  running?: number;
  waiting?: number;
}

// vLLM renamed gpu_cache_usage_perc to kv_cache_usage_perc in its V1 engine; read either.
const NAMES: Record<string, keyof VllmMetrics> = {
  'vllm:gpu_cache_usage_perc': 'kvCacheUsage',
  'vllm:kv_cache_usage_perc': 'kvCacheUsage',
  'vllm:num_requests_running': 'running',
  'vllm:num_requests_waiting': 'waiting',
};

/** Sums each known metric over its label sets (one per served model name). */
export function parseVllmMetrics(text: string): VllmMetrics {
  const metrics: VllmMetrics = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    const key = match && NAMES[match[1]!];
    const value = match ? Number(match[3]) : NaN;
    if (!key || !Number.isFinite(value)) continue;
    metrics[key] = (metrics[key] ?? 0) + value;
  }
  return metrics;
}
