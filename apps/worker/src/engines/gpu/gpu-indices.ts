import { execFile } from 'node:child_process';
import { NVIDIA_SMI_ARGS } from './nvidia-smi.js';

const isIndex = (gpu: string) => /^\d+$/.test(gpu);

/**
 * The worker's GPUs as CUDA indices. vLLM parses CUDA_VISIBLE_DEVICES as integers, so UUIDs
 * (`GPU-…`) are looked up in nvidia-smi, whose indices are PCI bus order: the order CUDA uses under
 * CUDA_DEVICE_ORDER=PCI_BUS_ID. A UUID nvidia-smi does not list, or no nvidia-smi, is an error that
 * says so, before anything is spawned.
 */
export async function gpuIndices(gpus: string[], bin = 'nvidia-smi', env?: NodeJS.ProcessEnv): Promise<string[]> {
  if (gpus.every(isIndex)) return gpus;
  const listing = await new Promise<string | undefined>((resolve) => {
    execFile(bin, NVIDIA_SMI_ARGS, { timeout: 5000, env }, (error, stdout) => resolve(error ? undefined : stdout));
  });
  if (listing === undefined) {
    throw new Error(
      `GPUs ${gpus.join(',')} are given by UUID, which vLLM cannot take, and nvidia-smi is not there to map them to indices: give indices (0,1,...) instead.`,
    );
  }
  const byUuid = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const [index, uuid] = line.split(',').map((field) => field.trim());
    if (index && uuid) byUuid.set(uuid, index);
  }
  return gpus.map((gpu) => {
    if (isIndex(gpu)) return gpu;
    const index = byUuid.get(gpu);
    if (index === undefined) throw new Error(`GPU ${gpu} is not among the GPUs nvidia-smi lists (${[...byUuid.keys()].join(', ') || 'none'}).`);
    return index;
  });
}
