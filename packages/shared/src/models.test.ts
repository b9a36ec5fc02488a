import { describe, expect, it } from 'vitest';
import { ModelsFileError, parseModelsFile } from './models.js';

describe('models file', () => {
  it('reads YAML with per-engine option defaults and GPU ids as strings', () => {
    const [big, tiny] = parseModelsFile(`
models:
  - id: big
    aliases: [large]
    engine: vllm
    source: meta-llama/Llama-3.1-70B-Instruct
    gpus: [0, 1, 2, 3]
    options: { maxModelLen: 8192 }
  - id: tiny
    source: stories260K.gguf
`);
    expect(big).toMatchObject({
      engine: 'vllm',
      gpus: ['0', '1', '2', '3'],
      options: { maxModelLen: 8192, maxNumSeqs: 256, pipelineParallelSize: 1, extraArgs: [] },
    });
    expect(tiny).toMatchObject({ engine: 'llamacpp', aliases: [], gpus: [], options: { gpu: false, gpuLayers: 'auto' } });
  });

  it('reads JSON too', () => {
    expect(parseModelsFile('{"models":[{"id":"a","source":"a.gguf"}]}')[0]!.id).toBe('a');
  });

  it('rejects options an engine does not know, naming the path', () => {
    expect(() => parseModelsFile('models: [{id: a, engine: vllm, source: x, options: {tensorParalelSize: 2}}]')).toThrow(/models\.0\.options/);
    expect(() => parseModelsFile('models: [{id: a, engine: openai, source: x}]')).toThrow(ModelsFileError);
  });

  it('rejects a name used by two models', () => {
    expect(() => parseModelsFile('models: [{id: a, source: x, aliases: [b]}, {id: b, source: y}]')).toThrow(/'b' names both 'a' and 'b'/);
  });

  it('rejects text that is not YAML', () => {
    expect(() => parseModelsFile('models: [')).toThrow(/not valid YAML or JSON/);
  });
});
