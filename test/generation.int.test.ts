import { describe, expect, it } from 'vitest';
import { MODEL, useSpool } from './helpers/spool-harness.js';

describe('generation parameters, legacy completions and models', () => {
  const context = useSpool();

  it('respects max_tokens and max_completion_tokens', async () => {
    const messages = [{ role: 'user' as const, content: 'A story about a cat' }];
    const short = await context.spool.client.chat.completions.create({ model: MODEL, messages, max_tokens: 7, temperature: 0 });
    expect(short.usage!.completion_tokens).toBe(7);
    expect(short.choices[0]!.finish_reason).toBe('length');
    const newer = await context.spool.client.chat.completions.create({ model: MODEL, messages, max_completion_tokens: 3, temperature: 0 });
    expect(newer.usage!.completion_tokens).toBe(3);
  });

  it('stops before a stop sequence and says finish_reason stop', async () => {
    const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 60, temperature: 0 };
    const free = (await context.spool.client.chat.completions.create(request)).choices[0]!.message.content!;
    const words = free.split(' ');
    const stopWord = ` ${words[Math.min(4, words.length - 1)]}`;
    const cut = free.slice(0, free.indexOf(stopWord));
    const stopped = await context.spool.client.chat.completions.create({ ...request, stop: [stopWord] });
    expect(stopped.choices[0]!.message.content).toBe(cut);
    expect(stopped.choices[0]!.finish_reason).toBe('stop');
  });

  it('gives n different choices indexed 0..n-1', async () => {
    const completion = await context.spool.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Tell me' }],
      max_tokens: 12,
      n: 3,
      temperature: 1,
      seed: 11,
    });
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(new Set(completion.choices.map((choice) => choice.message.content)).size).toBeGreaterThan(1);
    expect(completion.usage!.completion_tokens).toBe(36);
  });

  it('answers legacy completions for a string and for an array of prompts', async () => {
    const one = await context.spool.client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 10, temperature: 0 });
    expect(one.object).toBe('text_completion');
    expect(one.choices[0]!.text.length).toBeGreaterThan(0);
    expect(one.usage!.completion_tokens).toBe(10);

    const many = await context.spool.client.completions.create({ model: MODEL, prompt: ['The dog', 'The sun'], max_tokens: 5, temperature: 0 });
    expect(many.choices.map((choice) => choice.index)).toEqual([0, 1]);
    expect(many.usage!.completion_tokens).toBe(10);

    const defaulted = await context.spool.client.completions.create({ model: MODEL, prompt: 'Lily', temperature: 0 });
    expect(defaulted.usage!.completion_tokens).toBe(16);

    let streamed = '';
    const stream = await context.spool.client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 10, temperature: 0, stream: true });
    for await (const chunk of stream) streamed += chunk.choices[0]?.text ?? '';
    expect(streamed).toBe(one.choices[0]!.text);
  });

  it('streams through the /stream alias without a stream flag', async () => {
    const response = await fetch(`${context.spool.url}/v1/chat/completions/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 }),
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const body = await response.text();
    expect(body.trim().endsWith('data: [DONE]')).toBe(true);
    expect(body).toContain('"finish_reason":"length"');
  });

  it('lists the model with a live worker and retrieves it', async () => {
    const models = await context.spool.client.models.list();
    expect(models.data.map((model) => model.id)).toEqual([MODEL]);
    const model = await context.spool.client.models.retrieve(MODEL);
    expect(model).toMatchObject({ id: MODEL, object: 'model', owned_by: 'spool' });
    await expect(context.spool.client.models.retrieve('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('answers /health and /ready', async () => {
    expect((await fetch(`${context.spool.url}/health`)).status).toBe(200);
    const ready = await fetch(`${context.spool.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', redis: true, models: { [MODEL]: true } });
  });
});
