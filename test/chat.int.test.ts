import { describe, expect, it } from 'vitest';
import { MODEL, useSpool } from './helpers/spool-harness.js';

describe('chat completions through the queue', () => {
  const context = useSpool();

  it('answers a non-streamed chat with usage', async () => {
    const completion = await context.spool.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Tell me a story' }],
      max_tokens: 20,
      temperature: 0,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.role).toBe('assistant');
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBe(20);
    expect(completion.choices[0]!.finish_reason).toBe('length');
  });

  it('streams deltas whose concatenation equals the non-streamed answer for the same seed at temperature 0', async () => {
    const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 40, temperature: 0, seed: 7 };
    const whole = await context.spool.client.chat.completions.create(request);
    const stream = await context.spool.client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: unknown;
    let first = true;
    for await (const chunk of stream) {
      if (first) expect(chunk.choices[0]!.delta.role).toBe('assistant');
      first = false;
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        finish = choice.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
    expect(usage).toEqual(whole.usage);
  });
});
