/** Figures read from vLLM's Prometheus `/metrics` text. */
export interface VllmMetrics {
  /** Fraction (0..1) of the KV cache in use, averaged over data-parallel engines. */
  kvCacheUsage?: number;
  /** Requests running and waiting, summed over engines. */
  running?: number;
  waiting?: number;
  /** Tokens the KV cache holds: `num_gpu_blocks × block_size` of `vllm:cache_config_info`, summed over engines. */
  kvCacheTokens?: number;
}

type Sample = { name: string; labels: Record<string, string>; value: number };

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

const engineOf = (sample: Sample) => sample.labels.engine ?? '0';

/** One reading per `engine` label (a data-parallel server has one series per engine). */
function perEngine(samples: Sample[], name: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const sample of samples) if (sample.name === name) values.set(engineOf(sample), (values.get(engineOf(sample)) ?? 0) + sample.value);
  return values;
}

const sum = (values: Map<string, number>) => (values.size > 0 ? [...values.values()].reduce((a, b) => a + b, 0) : undefined);
const mean = (values: Map<string, number>) => (values.size > 0 ? sum(values)! / values.size : undefined);

/**
 * Reads vLLM's metrics. KV-cache use is a fraction per engine, so engines are averaged, never
 * summed; vLLM 0.9.2–0.10.x emit both `kv_cache_usage_perc` and the deprecated
 * `gpu_cache_usage_perc`, so the new name wins and the old one is read only where it is alone.
 */
export function parseVllmMetrics(text: string): VllmMetrics {
  const samples = parseSamples(text);
  const usage = perEngine(samples, 'vllm:kv_cache_usage_perc');
  const kvCacheUsage = mean(usage.size > 0 ? usage : perEngine(samples, 'vllm:gpu_cache_usage_perc'));
  const blocks = new Map<string, number>();
  for (const sample of samples) {
    if (sample.name !== 'vllm:cache_config_info') continue;
    const tokens = Number(sample.labels.num_gpu_blocks) * Number(sample.labels.block_size);
    if (Number.isFinite(tokens) && tokens > 0) blocks.set(engineOf(sample), tokens);
  }
  const metrics: VllmMetrics = {
    kvCacheUsage,
    running: sum(perEngine(samples, 'vllm:num_requests_running')),
    waiting: sum(perEngine(samples, 'vllm:num_requests_waiting')),
    kvCacheTokens: sum(blocks),
  };
  for (const key of Object.keys(metrics) as (keyof VllmMetrics)[]) if (metrics[key] === undefined) delete metrics[key];
  return metrics;
}
