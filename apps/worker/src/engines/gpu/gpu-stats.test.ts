import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmi } from './nvidia-smi.js';
import { parseVllmMetrics } from './vllm-metrics.js';

const MIB = 1024 * 1024;

describe('GPU figures', () => {
  const smi = '0, GPU-aaa, 1200, 24564\n1, GPU-bbb, 23000, 24564\n2, GPU-ccc, [N/A], [N/A]\n';

  it("parses nvidia-smi CSV and keeps the worker's GPUs by index or UUID", () => {
    expect(parseNvidiaSmi(smi)).toEqual([
      { index: '0', usedBytes: 1200 * MIB, totalBytes: 24564 * MIB },
      { index: '1', usedBytes: 23000 * MIB, totalBytes: 24564 * MIB },
    ]);
    expect(parseNvidiaSmi(smi, ['GPU-bbb']).map((gpu) => gpu.index)).toEqual(['1']);
    expect(parseNvidiaSmi('', ['0'])).toEqual([]);
  });

  const frame = (name: string) => readFileSync(new URL(`../../../../../test/fixtures/vllm/${name}`, import.meta.url), 'utf8');

  it('averages KV-cache use over data-parallel engines and reads it once where vLLM emits both names', () => {
    const metrics = parseVllmMetrics(frame('metrics-0.10-dp2.txt'));
    expect(metrics.kvCacheUsage).toBeCloseTo(0.65);
    expect(metrics).toMatchObject({ running: 5, waiting: 1, kvCacheTokens: 2 * 2048 * 16 });
  });

  it('reads the KV-cache capacity from cache_config_info', () => {
    expect(parseVllmMetrics(frame('metrics-current.txt'))).toEqual({ kvCacheUsage: 0.125, running: 4, waiting: 0, kvCacheTokens: 10576 * 16 });
  });

  it('reads KV-cache use from either vLLM metric name', () => {
    const v0 = '# HELP x\nvllm:gpu_cache_usage_perc{model_name="m"} 0.5\nvllm:num_requests_running{model_name="m"} 3\n';
    expect(parseVllmMetrics(v0)).toEqual({ kvCacheUsage: 0.5, running: 3 });
    expect(parseVllmMetrics('vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.125\nvllm:num_requests_waiting 2')).toEqual({
      kvCacheUsage: 0.125,
      waiting: 2,
    });
  });
});
