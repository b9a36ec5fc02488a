import { describe, expect, it } from 'vitest';
import type { GenerationRequest } from '@spool/shared';
import { upstreamBody } from './upstream-request.js';

const request: GenerationRequest = { kind: 'chat', messages: [{ role: 'user', content: 'hi' }], stop: [], presencePenalty: 0, frequencyPenalty: 0 };

describe('the upstream request body', () => {
  it("leaves temperature and top_p out when the client did, so vLLM applies the model's generation_config", () => {
    const body = upstreamBody(request, { model: 'm', priority: false });
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');
    expect(upstreamBody({ ...request, temperature: 0, topP: 0.5 }, { model: 'm', priority: false })).toMatchObject({ temperature: 0, top_p: 0.5 });
  });

  it("forwards vLLM's sampling extras as vLLM names them", () => {
    const body = upstreamBody(
      { ...request, topK: 40, minP: 0.05, repetitionPenalty: 1.1, logitBias: { '50256': -100 }, logprobs: true, topLogprobs: 3 },
      { model: 'm', priority: false },
    );
    expect(body).toMatchObject({ top_k: 40, min_p: 0.05, repetition_penalty: 1.1, logit_bias: { '50256': -100 }, logprobs: true, top_logprobs: 3 });
  });
});
