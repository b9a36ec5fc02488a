import { describe, expect, it } from 'vitest';
import { MODEL, useSpool } from './helpers/spool-harness.js';

const user = [{ role: 'user', content: 'Hello' }];
const chat = (extra: object) => JSON.stringify({ model: MODEL, messages: user, ...extra });

/** [name, path, body, expected status, expected code, expected param] */
const cases: [string, string, string, number, string | null, string | null][] = [
  ['invalid JSON', '/v1/chat/completions', '{"model":', 400, 'invalid_json', null],
  ['a JSON array body', '/v1/chat/completions', '[1,2]', 400, 'invalid_value', null],
  ['no model', '/v1/chat/completions', JSON.stringify({ messages: user }), 400, 'invalid_value', 'model'],
  ['model of the wrong type', '/v1/chat/completions', JSON.stringify({ model: 5, messages: user }), 400, 'invalid_value', 'model'],
  ['empty messages', '/v1/chat/completions', chat({ messages: [] }), 400, 'invalid_value', 'messages'],
  ['messages not an array', '/v1/chat/completions', chat({ messages: 'hi' }), 400, 'invalid_value', 'messages'],
  ['unknown role', '/v1/chat/completions', chat({ messages: [{ role: 'wizard', content: 'x' }] }), 400, 'invalid_value', 'messages[0].role'],
  ['content of the wrong type', '/v1/chat/completions', chat({ messages: [{ role: 'user', content: 42 }] }), 400, 'invalid_value', 'messages[0].content'],
  [
    'tool message without tool_call_id',
    '/v1/chat/completions',
    chat({ messages: [{ role: 'tool', content: 'x' }] }),
    400,
    'invalid_value',
    'messages[0].tool_call_id',
  ],
  ['temperature as a string', '/v1/chat/completions', chat({ temperature: 'hot' }), 400, 'invalid_value', 'temperature'],
  ['temperature above 2', '/v1/chat/completions', chat({ temperature: 2.5 }), 400, 'invalid_value', 'temperature'],
  ['negative temperature', '/v1/chat/completions', chat({ temperature: -1 }), 400, 'invalid_value', 'temperature'],
  ['top_p of 0', '/v1/chat/completions', chat({ top_p: 0 }), 400, 'invalid_value', 'top_p'],
  ['max_tokens of 0', '/v1/chat/completions', chat({ max_tokens: 0 }), 400, 'invalid_value', 'max_tokens'],
  ['fractional max_tokens', '/v1/chat/completions', chat({ max_tokens: 1.5 }), 400, 'invalid_value', 'max_tokens'],
  ['n of 0', '/v1/chat/completions', chat({ n: 0 }), 400, 'invalid_value', 'n'],
  ['five stop sequences', '/v1/chat/completions', chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), 400, 'invalid_value', 'stop'],
  ['presence_penalty out of range', '/v1/chat/completions', chat({ presence_penalty: 3 }), 400, 'invalid_value', 'presence_penalty'],
  ['stream not a boolean', '/v1/chat/completions', chat({ stream: 'yes' }), 400, 'invalid_value', 'stream'],
  ['unknown model', '/v1/chat/completions', chat({ model: 'no-such-model' }), 404, 'model_not_found', 'model'],
  ['max_tokens beyond the context', '/v1/chat/completions', chat({ max_tokens: 100_000 }), 400, 'context_length_exceeded', 'messages'],
  [
    'a prompt longer than the context',
    '/v1/chat/completions',
    chat({ messages: [{ role: 'user', content: 'story '.repeat(900) }] }),
    400,
    'context_length_exceeded',
    'messages',
  ],
  ['a body over the limit', '/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] }), 413, 'request_too_large', null],
  ['completion without prompt', '/v1/completions', JSON.stringify({ model: MODEL }), 400, 'invalid_value', 'prompt'],
  ['completion prompt of numbers', '/v1/completions', JSON.stringify({ model: MODEL, prompt: [1, 2] }), 400, 'invalid_value', 'prompt'],
  ['completion with an unknown model', '/v1/completions', JSON.stringify({ model: 'gpt-9', prompt: 'x' }), 404, 'model_not_found', 'model'],
  ['an unknown route', '/v1/nothing-here', '{}', 404, 'unknown_route', null],
];

describe('bad requests get an OpenAI error with the right status', () => {
  const context = useSpool();

  it.each(cases)('%s', async (_name, path, body, status, code, param) => {
    const response = await fetch(`${context.spool.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(status);
    const json = (await response.json()) as { error: Record<string, unknown> };
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(json.error.code).toBe(code);
    expect(json.error.param).toBe(param);
    expect(typeof json.error.message).toBe('string');
    expect(JSON.stringify(json)).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('maps errors to the official client error classes', async () => {
    await expect(context.spool.client.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(
      context.spool.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 9999, stream: true }),
    ).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
  });
});
