import type { GpuMemory } from '@spool/shared';
import { queryNvidiaSmi } from './nvidia-smi.js';
import { parseVllmMetrics, type VllmMetrics } from './vllm-metrics.js';

export interface GpuMonitorOptions {
  /** The worker's GPUs (indices or UUIDs); empty reads every GPU nvidia-smi lists. */
  gpus: string[];
  intervalMs: number;
  /** vLLM's `/metrics` URL, read on each tick where vLLM runs. */
  metricsUrl?: () => string | undefined;
  nvidiaSmi?: string;
  env?: NodeJS.ProcessEnv;
}

export interface GpuMonitor {
  /** The latest figures (stats() is synchronous, so they are polled in the background). */
  gpus(): GpuMemory[] | undefined;
  vllm(): VllmMetrics;
  /** Polls once now; tests and start-up use it to have figures before the first heartbeat. */
  poll(): Promise<void>;
  stop(): void;
}

/** Polls nvidia-smi and vLLM's metrics; stops asking nvidia-smi once it is found missing. */
export function createGpuMonitor(options: GpuMonitorOptions): GpuMonitor {
  let gpus: GpuMemory[] | undefined;
  let vllm: VllmMetrics = {};
  let smiMissing = false;

  async function poll(): Promise<void> {
    if (!smiMissing) {
      gpus = await queryNvidiaSmi(options.gpus, options.nvidiaSmi, options.env);
      smiMissing = gpus === undefined;
    }
    const url = options.metricsUrl?.();
    if (url) {
      vllm = await fetch(url, { signal: AbortSignal.timeout(2000) })
        .then((response) => (response.ok ? response.text() : ''))
        .then(parseVllmMetrics, () => vllm);
    }
  }

  const timer = setInterval(() => void poll(), options.intervalMs);
  timer.unref();
  return { gpus: () => gpus, vllm: () => vllm, poll, stop: () => clearInterval(timer) };
}

/** Bytes used over a set of GPUs. */
export const usedBytes = (gpus: GpuMemory[]) => gpus.reduce((sum, gpu) => sum + gpu.usedBytes, 0);
