import { describe, expect, it } from 'vitest';
import { chatCompletionRequestSchema, completionRequestSchema, modelSpecSchema, type GenerationResult } from '@spool/shared';
import { successLine } from './line-result.js';

const spec = modelSpecSchema.parse({ id: 'm', source: 'm.gguf' });
const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const logprobs = [{ token: 'Hi', logprob: -0.5, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.5, bytes: [72, 105] }] }];

describe('successLine', () => {
  it('answers a legacy functions line with function_call, and keeps logprobs and the fingerprint', () => {
    const body = chatCompletionRequestSchema.parse({ model: 'm', messages: [{ role: 'user', content: 'x' }], functions: [{ name: 'f' }], logprobs: true });
    const result: GenerationResult = {
      choices: [{ text: '', finishReason: 'tool_calls', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }], logprobs }],
      usage,
    };
    const line = successLine({ line: 1, customId: 'a', spec, endpoint: '/v1/chat/completions', body }, 'req_1', result);
    const answer = line.response!.body as {
      system_fingerprint: string;
      choices: { message: Record<string, unknown>; finish_reason: string; logprobs: unknown }[];
    };
    expect(answer.system_fingerprint).toMatch(/^fp_/);
    expect(answer.choices[0]!.message.function_call).toEqual({ name: 'f', arguments: '{}' });
    expect(answer.choices[0]!.message.tool_calls).toBeUndefined();
    expect(answer.choices[0]!.finish_reason).toBe('function_call');
    expect(answer.choices[0]!.logprobs).toEqual({ content: logprobs, refusal: null });
  });
  it('writes a legacy completions line logprobs in the legacy form', () => {
    const body = completionRequestSchema.parse({ model: 'm', prompt: 'x', logprobs: 1 });
    const line = successLine({ line: 1, customId: 'a', spec, endpoint: '/v1/completions', body }, 'req_1', {
      choices: [{ text: 'Hi', finishReason: 'length', logprobs }],
      usage,
    });
    const answer = line.response!.body as { choices: { logprobs: unknown }[] };
    expect(answer.choices[0]!.logprobs).toEqual({ tokens: ['Hi'], token_logprobs: [-0.5], top_logprobs: [{ Hi: -0.5 }], text_offset: [0] });
  });
});
