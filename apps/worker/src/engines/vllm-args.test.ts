import { describe, expect, it } from 'vitest';
import { vllmOptionsSchema } from '@spool/shared';
import { parallelism, vllmServeArgs } from './vllm-args.js';

const serve = { source: 'org/m', servedModelName: 'm', port: 9000 };

describe('vllm serve arguments', () => {
  it('uses the GPU count as tensor-parallel size', () => {
    expect(parallelism(vllmOptionsSchema.parse({}), ['0', '1', '2', '3'])).toEqual({ tensor: 4, pipeline: 1, data: 1 });
    expect(parallelism(vllmOptionsSchema.parse({ pipelineParallelSize: 2 }), ['0', '1', '2', '3'])).toEqual({ tensor: 2, pipeline: 2, data: 1 });
    expect(parallelism(vllmOptionsSchema.parse({ dataParallelSize: 4 }), ['0', '1', '2', '3'])).toEqual({ tensor: 1, pipeline: 1, data: 4 });
    expect(parallelism(vllmOptionsSchema.parse({}), [])).toEqual({ tensor: 1, pipeline: 1, data: 1 });
  });

  it('refuses a TP × PP that does not match the pinned GPUs', () => {
    expect(() => parallelism(vllmOptionsSchema.parse({ tensorParallelSize: 2 }), ['0', '1', '2', '3'])).toThrow(/must equal the 4 GPUs/);
  });

  it('runs data-parallel engines with --data-parallel-size', () => {
    const args = vllmServeArgs(vllmOptionsSchema.parse({ dataParallelSize: 4 }), { ...serve, gpus: ['0', '1', '2', '3'] });
    expect(args[args.indexOf('--data-parallel-size') + 1]).toBe('4');
    expect(args[args.indexOf('--tensor-parallel-size') + 1]).toBe('1');
  });

  it('never puts the API key on the command line (it goes in VLLM_API_KEY)', () => {
    const args = vllmServeArgs(vllmOptionsSchema.parse({ apiKey: 'sk-secret' }), { ...serve, gpus: ['0'] });
    expect(args.join(' ')).not.toContain('sk-secret');
  });

  it('passes every option and the extra arguments last', () => {
    const args = vllmServeArgs(
      vllmOptionsSchema.parse({ maxModelLen: 4096, toolCallParser: 'hermes', schedulingPolicy: 'fcfs', apiKey: 'k', extraArgs: ['--enforce-eager'] }),
      { ...serve, gpus: ['0'] },
    );
    expect(args).toEqual([
      'serve',
      'org/m',
      '--host',
      '127.0.0.1',
      '--port',
      '9000',
      '--served-model-name',
      'm',
      '--tensor-parallel-size',
      '1',
      '--pipeline-parallel-size',
      '1',
      '--gpu-memory-utilization',
      '0.9',
      '--max-num-seqs',
      '256',
      '--scheduling-policy',
      'fcfs',
      '--max-model-len',
      '4096',
      '--enable-auto-tool-choice',
      '--tool-call-parser',
      'hermes',
      '--enforce-eager',
    ]);
  });
});
