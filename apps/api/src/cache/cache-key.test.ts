import { describe, expect, it } from 'vitest';
import { chatCompletionRequestSchema } from '@spool/shared';
import { cacheKey, canonicalJson, KEY_EXCLUDED_FIELDS, modelOfKey } from './cache-key.js';

const defaults = { temperature: 1, top_p: 1, n: 1, presence_penalty: 0, frequency_penalty: 0, stop: [] };
const keyOf = (body: Record<string, unknown>, scope = 'alice', model = 'stories260K') =>
  cacheKey({
    endpoint: 'chatcmpl',
    model,
    scope,
    defaults,
    body: chatCompletionRequestSchema.parse({ model: 'alias', messages: [{ role: 'user', content: 'hi' }], ...body }),
  });

describe('cacheKey', () => {
  it('ignores stream, stream_options and user', () => {
    expect(keyOf({ stream: true, stream_options: { include_usage: true }, user: 'u1' })).toBe(keyOf({}));
    expect([...KEY_EXCLUDED_FIELDS].sort()).toEqual(['stream', 'stream_options', 'user']);
  });

  it('fills defaults, so an explicit default hashes like an absent field', () => {
    expect(keyOf({ temperature: 1, top_p: 1, n: 1, stop: null })).toBe(keyOf({}));
    expect(keyOf({ temperature: 0 })).not.toBe(keyOf({}));
  });

  it('treats max_completion_tokens as max_tokens, the alias winning as the job does', () => {
    expect(keyOf({ max_completion_tokens: 5 })).toBe(keyOf({ max_tokens: 5 }));
    expect(keyOf({ max_completion_tokens: 5, max_tokens: 9 })).toBe(keyOf({ max_tokens: 5 }));
  });

  it('changes with every setting that changes the output', () => {
    const base = keyOf({});
    for (const change of [
      { seed: 1 },
      { top_p: 0.5 },
      { n: 2 },
      { stop: 'x' },
      { max_tokens: 3 },
      { presence_penalty: 1 },
      { frequency_penalty: 1 },
      { messages: [{ role: 'user', content: 'ho' }] },
    ]) {
      expect(keyOf(change), JSON.stringify(change)).not.toBe(base);
    }
  });

  it('includes a field the schema gains later without any change here', () => {
    const body = { model: 'm', messages: [], tools: [{ type: 'function', function: { name: 'f' } }] };
    const other = { ...body, tools: [{ type: 'function', function: { name: 'g' } }] };
    const key = (value: Record<string, unknown>) => cacheKey({ endpoint: 'chatcmpl', model: 'm', scope: 's', defaults: {}, body: value });
    expect(key(body)).not.toBe(key(other));
    expect(key(body)).not.toBe(key({ ...body, response_format: { type: 'json_object' } }));
  });

  it('scopes by tenant and endpoint, and keeps the model readable', () => {
    expect(keyOf({}, 'alice')).not.toBe(keyOf({}, 'bob'));
    expect(cacheKey({ endpoint: 'cmpl', model: 'm', scope: 's', defaults: {}, body: {} })).not.toBe(
      cacheKey({ endpoint: 'chatcmpl', model: 'm', scope: 's', defaults: {}, body: {} }),
    );
    expect(modelOfKey(keyOf({}, 'alice', 'org/model:q4'))).toBe('org/model:q4');
  });

  it('writes canonical JSON with sorted keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,{"z":1}]},"b":1}');
  });
});
