import { describe, expect, it } from 'vitest';
import { MODEL, useSpool } from './helpers/spool-harness.js';

const messages = [{ role: 'user' as const, content: 'Once upon a time' }];

describe('logprobs on the llama.cpp engine, through openai-node', () => {
  const running = useSpool();

  it('returns each generated token with its log probability and top alternatives', async () => {
    const answer = await running.spool.client.chat.completions.create({
      model: MODEL,
      messages,
      logprobs: true,
      top_logprobs: 3,
      temperature: 0,
      max_tokens: 12,
    });
    const choice = answer.choices[0]!;
    const content = choice.logprobs!.content!;
    expect(content.length).toBeGreaterThan(0);
    expect(content.length).toBeLessThanOrEqual(answer.usage!.completion_tokens);
    expect(content.map((entry) => entry.token).join('')).toBe(choice.message.content);
    for (const entry of content) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.bytes).toEqual([...Buffer.from(entry.token, 'utf8')]);
      expect(entry.top_logprobs.length).toBeGreaterThan(0);
      expect(entry.top_logprobs.length).toBeLessThanOrEqual(3);
      const tops = entry.top_logprobs.map((top) => top.logprob);
      expect([...tops].sort((a, b) => b - a)).toEqual(tops);
      // Greedy decoding takes the most likely token.
      expect(entry.top_logprobs[0]!.token).toBe(entry.token);
      expect(entry.top_logprobs[0]!.logprob).toBeCloseTo(entry.logprob, 5);
    }
  });

  it('streams the same logprobs in the chunks', async () => {
    const request = { model: MODEL, messages, logprobs: true, top_logprobs: 2, temperature: 0, max_tokens: 12 };
    const whole = await running.spool.client.chat.completions.create(request);
    const stream = await running.spool.client.chat.completions.create({ ...request, stream: true });
    const streamed: string[] = [];
    for await (const chunk of stream) for (const entry of chunk.choices[0]?.logprobs?.content ?? []) streamed.push(entry.token);
    expect(streamed).toEqual(whole.choices[0]!.logprobs!.content!.map((entry) => entry.token));
  });

  it('answers without logprobs as before: null', async () => {
    const answer = await running.spool.client.chat.completions.create({ model: MODEL, messages, max_tokens: 4 });
    expect(answer.choices[0]!.logprobs).toBeNull();
  });

  it('returns the legacy completions form for logprobs: N', async () => {
    const answer = await running.spool.client.completions.create({ model: MODEL, prompt: 'Once upon a time', logprobs: 2, temperature: 0, max_tokens: 10 });
    const choice = answer.choices[0]!;
    const logprobs = choice.logprobs!;
    expect(logprobs.tokens!.join('')).toBe(choice.text);
    expect(logprobs.token_logprobs).toHaveLength(logprobs.tokens!.length);
    expect(logprobs.top_logprobs!.every((top) => Object.keys(top).length <= 2)).toBe(true);
    const offsets = logprobs.text_offset!;
    expect(offsets[0]).toBe(0);
    offsets.slice(1).forEach((offset, index) => expect(offset).toBe(offsets[index]! + logprobs.tokens![index]!.length));
  });

  it('refuses what it cannot honour with a 400 naming the field: suffix, best_of above n, top_logprobs without logprobs', async () => {
    await expect(running.spool.client.completions.create({ model: MODEL, prompt: 'a', suffix: 'b' })).rejects.toMatchObject({ status: 400, param: 'suffix' });
    await expect(running.spool.client.completions.create({ model: MODEL, prompt: 'a', best_of: 3 })).rejects.toMatchObject({ status: 400, param: 'best_of' });
    const same = await running.spool.client.completions.create({ model: MODEL, prompt: 'a', best_of: 2, n: 2, max_tokens: 2 });
    expect(same.choices).toHaveLength(2);
    await expect(running.spool.client.chat.completions.create({ model: MODEL, messages, top_logprobs: 2 })).rejects.toMatchObject({
      status: 400,
      param: 'top_logprobs',
    });
  });
});
