import { describe, expect, it } from 'vitest';
import { MODEL, useSpool } from './helpers/spool-harness.js';

const getTime = {
  name: 'get_time',
  description: 'Time in a zone',
  parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'Europe/Paris'] } }, required: ['zone'], additionalProperties: false },
};
const messages = [{ role: 'user' as const, content: 'What time is it in Paris?' }];
/** One legacy `functions` request, asked whole and streamed. */
const legacyCall = { model: MODEL, messages, functions: [getTime], function_call: { name: 'get_time' }, max_tokens: 40, seed: 1 };

describe('what real clients hit: media parts, legacy functions, system_fingerprint, abandoned streams', () => {
  const running = useSpool();

  it('answers 400 naming the content part when a message carries an image or audio', async () => {
    const image = running.spool.client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    });
    await expect(image).rejects.toMatchObject({ status: 400, param: 'messages[0].content[1]' });
    await expect(image).rejects.toThrow(/does not accept images/);
    const audio = running.spool.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }],
    });
    await expect(audio).rejects.toMatchObject({ status: 400, param: 'messages[0].content[0]' });
    await expect(audio).rejects.toThrow(/does not accept audio/);
  });

  it('answers legacy functions with message.function_call and finish_reason function_call', async () => {
    const answer = await running.spool.client.chat.completions.create(legacyCall);
    const choice = answer.choices[0]!;
    expect(choice.finish_reason).toBe('function_call');
    expect(choice.message.tool_calls).toBeUndefined();
    expect(choice.message.function_call!.name).toBe('get_time');
    expect(['UTC', 'Europe/Paris']).toContain(JSON.parse(choice.message.function_call!.arguments).zone);
  });

  it('streams legacy functions as delta.function_call pieces that add up to the call', async () => {
    const stream = await running.spool.client.chat.completions.create({ ...legacyCall, stream: true });
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      expect(choice?.delta.tool_calls).toBeUndefined();
      name += choice?.delta.function_call?.name ?? '';
      args += choice?.delta.function_call?.arguments ?? '';
      finish = choice?.finish_reason ?? finish;
    }
    expect(name).toBe('get_time');
    expect(JSON.parse(args).zone).toBeDefined();
    expect(finish).toBe('function_call');
  });

  it('fills system_fingerprint, the same for every answer of one model, streamed or not', async () => {
    const whole = await running.spool.client.chat.completions.create({ model: MODEL, messages, max_tokens: 4, seed: 1 });
    expect(whole.system_fingerprint).toMatch(/^fp_[0-9a-f]{12}$/);
    const stream = await running.spool.client.completions.create({ model: MODEL, prompt: 'Once', max_tokens: 4, stream: true });
    for await (const chunk of stream) expect(chunk.system_fingerprint).toBe(whole.system_fingerprint);
  });

  it('logs the tokens an abandoned stream generated before the client left', async () => {
    const metrics = running.spool.api.deps.metrics;
    // Totals are cumulative: compare with what they said before.
    const before = metrics.snapshot();
    const controller = new AbortController();
    const stream = await running.spool.client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'Tell me a long story' }], max_tokens: 400, stream: true, seed: 2 },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) chunks += 1;
        if (chunks === 5) controller.abort();
      }
    } catch {
      // The SDK throws once its request is aborted.
    }
    let after = metrics.snapshot();
    const deadline = Date.now() + 10_000;
    while (after.requests === before.requests && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = metrics.snapshot();
    }
    const requests = after.requests - before.requests;
    const generated = after.tokensGenerated - before.tokensGenerated;
    expect(requests).toBe(1);
    expect(generated).toBeGreaterThanOrEqual(5);
    expect(generated).toBeLessThan(400);
  });
});
