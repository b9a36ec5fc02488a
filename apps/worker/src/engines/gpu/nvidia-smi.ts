import { execFile } from 'node:child_process';
import type { GpuMemory } from '@spool/shared';

const MIB = 1024 * 1024;
export const NVIDIA_SMI_ARGS = ['--query-gpu=index,uuid,memory.used,memory.total', '--format=csv,noheader,nounits'];

/**
 * Parses nvidia-smi's CSV (`index, uuid, used MiB, total MiB` per line) and keeps the GPUs named in
 * `gpus` (by index or UUID; all when `gpus` is empty). Lines it cannot read ("[N/A]") are skipped.
 */
export function parseNvidiaSmi(text: string, gpus: string[] = []): GpuMemory[] {
  const result: GpuMemory[] = [];
  for (const line of text.split('\n')) {
    const [index, uuid, used, total] = line.split(',').map((field) => field.trim());
    if (!index || used === undefined || total === undefined) continue;
    const usedMiB = Number(used);
    const totalMiB = Number(total);
    if (!Number.isFinite(usedMiB) || !Number.isFinite(totalMiB)) continue;
    if (gpus.length > 0 && !gpus.includes(index) && !gpus.includes(uuid ?? '')) continue;
    result.push({ index, usedBytes: usedMiB * MIB, totalBytes: totalMiB * MIB });
  }
  return result;
}

/** Runs nvidia-smi once; undefined where it is missing or fails (a CPU host). */
export function queryNvidiaSmi(gpus: string[], bin = 'nvidia-smi', env?: NodeJS.ProcessEnv): Promise<GpuMemory[] | undefined> {
  return new Promise((resolve) => {
    execFile(bin, NVIDIA_SMI_ARGS, { timeout: 5000, env }, (error, stdout) => {
      if (error) return resolve(undefined);
      resolve(parseNvidiaSmi(stdout, gpus));
    });
  });
}
