import { describe, expect, it } from 'vitest';
import { modelSpecSchema } from '@spool/shared';
import { assertEngineHonours } from './engine-support.js';

const llama = modelSpecSchema.parse({ id: 'tiny', source: 'stories260K.gguf' });
const vllm = modelSpecSchema.parse({ id: 'big', engine: 'vllm', source: 'org/big', options: { toolCallParser: 'hermes' } });
const vllmWithoutParser = modelSpecSchema.parse({ id: 'plain', engine: 'vllm', source: 'org/plain' });
const attached = modelSpecSchema.parse({ id: 'remote', engine: 'vllm', source: 'org/remote', options: { url: 'http://gpu:8000' } });
const upstream = modelSpecSchema.parse({ id: 'up', engine: 'openai', source: 'gpt', options: { url: 'http://up/v1' } });
const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];

describe("what a model's engine honours", () => {
  it('takes every vLLM sampling extra on a vLLM model', () => {
    expect(() =>
      assertEngineHonours(vllm, { top_k: 40, min_p: 0.1, repetition_penalty: 1.2, logit_bias: { '1': 5 }, logprobs: true, top_logprobs: 2 }),
    ).not.toThrow();
  });

  it('answers 400 naming the field where the engine cannot honour it', () => {
    expect(() => assertEngineHonours(llama, { top_k: 40 })).toThrow(expect.objectContaining({ status: 400, param: 'top_k', code: 'unsupported_parameter' }));
    expect(() => assertEngineHonours(upstream, { repetition_penalty: 1.1 })).toThrow(expect.objectContaining({ param: 'repetition_penalty' }));
    expect(() => assertEngineHonours(upstream, { logit_bias: { '1': 1 } })).not.toThrow();
    expect(() => assertEngineHonours(llama, { top_k: null, logprobs: false })).not.toThrow();
  });

  it('refuses tools on a spawned vLLM without a tool-call parser, and leaves an attached one to say so itself', () => {
    expect(() => assertEngineHonours(vllmWithoutParser, { tools })).toThrow(
      expect.objectContaining({ status: 400, param: 'tools', message: expect.stringContaining('toolCallParser') }),
    );
    expect(() => assertEngineHonours(vllmWithoutParser, { tools, tool_choice: 'none' })).not.toThrow();
    expect(() => assertEngineHonours(vllm, { tools })).not.toThrow();
    expect(() => assertEngineHonours(attached, { tools })).not.toThrow();
  });
});
