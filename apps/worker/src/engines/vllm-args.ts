import type { VllmOptions } from '@spool/shared';

/** What `vllm serve` needs beyond the model's options. */
export interface VllmServe {
  /** The Hugging Face id or path vLLM loads. */
  source: string;
  /** The name requests use: Spool's model id. */
  servedModelName: string;
  gpus: string[];
  port: number;
}

/** Tensor-, pipeline- and data-parallel sizes; TP defaults to the worker's GPUs divided by PP × DP. */
export function parallelism(options: VllmOptions, gpus: string[]): { tensor: number; pipeline: number; data: number } {
  const pipeline = options.pipelineParallelSize;
  const data = options.dataParallelSize;
  const tensor = options.tensorParallelSize ?? Math.max(1, Math.floor(gpus.length / (pipeline * data)));
  if (gpus.length > 0 && tensor * pipeline * data !== gpus.length) {
    throw new Error(
      `tensorParallelSize ${tensor} × pipelineParallelSize ${pipeline} × dataParallelSize ${data} must equal the ${gpus.length} GPUs the worker is pinned to (${gpus.join(',')}).`,
    );
  }
  return { tensor, pipeline, data };
}

/** The argument list of `vllm serve` for one model on one set of GPUs. */
export function vllmServeArgs(options: VllmOptions, serve: VllmServe): string[] {
  const { tensor, pipeline, data } = parallelism(options, serve.gpus);
  const args = [
    'serve',
    serve.source,
    '--host',
    '127.0.0.1',
    '--port',
    String(serve.port),
    '--served-model-name',
    serve.servedModelName,
    '--tensor-parallel-size',
    String(tensor),
    '--pipeline-parallel-size',
    String(pipeline),
    '--gpu-memory-utilization',
    String(options.gpuMemoryUtilization),
    '--max-num-seqs',
    String(options.maxNumSeqs),
    '--scheduling-policy',
    options.schedulingPolicy ?? 'priority',
  ];
  if (data > 1) args.push('--data-parallel-size', String(data));
  if (options.maxModelLen !== undefined) args.push('--max-model-len', String(options.maxModelLen));
  if (options.toolCallParser) args.push('--enable-auto-tool-choice', '--tool-call-parser', options.toolCallParser);
  return [...args, ...options.extraArgs];
}
