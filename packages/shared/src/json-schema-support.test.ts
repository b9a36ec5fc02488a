import { describe, expect, it } from 'vitest';
import { findUnconstrainableKeyword } from './json-schema-support.js';
import { generationToolFields } from './openai/tools.js';

describe('findUnconstrainableKeyword', () => {
  it('accepts the enforced subset with annotations', () => {
    expect(
      findUnconstrainableKeyword({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        title: 'T',
        properties: {
          a: { type: ['string', 'null'], maxLength: 3 },
          b: { enum: [1, 'x'] },
          c: { type: 'integer', exclusiveMinimum: 0 },
          d: { type: 'array', items: { $ref: '#/$defs/x' }, maxItems: 2 },
        },
        $defs: { x: { type: 'boolean' } },
        required: ['a'],
        additionalProperties: false,
      }),
    ).toBeUndefined();
  });
  it('names the first keyword it cannot enforce and where', () => {
    expect(findUnconstrainableKeyword({ type: 'object', properties: { s: { type: 'string', pattern: '^(?=a)b$' } } })).toMatchObject({
      keyword: 'pattern',
      path: 'properties.s.pattern',
    });
    expect(findUnconstrainableKeyword({ allOf: [] })).toMatchObject({ keyword: 'allOf' });
    expect(findUnconstrainableKeyword({ type: 'number', maximum: 1e-7 })).toMatchObject({ keyword: 'maximum' });
    expect(findUnconstrainableKeyword({ $ref: 'https://example.com/s.json' })).toMatchObject({ keyword: '$ref' });
    expect(findUnconstrainableKeyword({ type: 'string', minLength: 5, maxLength: 2 })).toMatchObject({ keyword: 'minLength' });
  });
  it('accepts const and enum of every JSON type, as z.literal and z.discriminatedUnion emit them', () => {
    for (const value of ['a', 1.5, -2, true, false, null]) expect(findUnconstrainableKeyword({ const: value }), String(value)).toBeUndefined();
    expect(findUnconstrainableKeyword({ type: 'string', const: 'a' })).toBeUndefined();
    expect(findUnconstrainableKeyword({ enum: ['a', 2.5, true, null] })).toBeUndefined();
    expect(
      findUnconstrainableKeyword({
        oneOf: [
          { type: 'object', properties: { kind: { type: 'string', const: 'circle' }, radius: { type: 'number' } }, required: ['kind', 'radius'] },
          { type: 'object', properties: { kind: { type: 'string', const: 'square' }, side: { type: 'number' } }, required: ['kind', 'side'] },
        ],
      }),
    ).toBeUndefined();
  });
  it('accepts the enforced formats, and unknown formats as annotations', () => {
    for (const format of ['email', 'uri', 'uuid', 'date-time', 'date', 'time', 'hostname', 'made-up']) {
      expect(findUnconstrainableKeyword({ type: 'string', format }), format).toBeUndefined();
    }
  });
  it('refuses a format or pattern combined with length bounds it cannot enforce together', () => {
    expect(findUnconstrainableKeyword({ type: 'string', format: 'email', maxLength: 254 })).toMatchObject({ keyword: 'format' });
    expect(findUnconstrainableKeyword({ type: 'string', pattern: '^a+$', minLength: 2 })).toMatchObject({ keyword: 'pattern' });
    expect(findUnconstrainableKeyword({ type: 'string', format: 'hostname', maxLength: 20 })).toBeUndefined();
  });
  it('accepts patterns of the common subset and refuses the rest with the reason', () => {
    for (const pattern of ['^[A-Z]{2}-\\d{3}$', 'abc', '^(cat|dog)s?$', '^[^@\\s]+@[\\w.-]+$', '^\\+?[0-9 ()-]{7,15}$', '^(?:[a-z]+_)*[a-z]+$']) {
      expect(findUnconstrainableKeyword({ type: 'string', pattern }), pattern).toBeUndefined();
    }
    expect(findUnconstrainableKeyword({ type: 'string', pattern: '^(a)\\1$' })?.reason).toMatch(/escape '\\1'/);
    expect(findUnconstrainableKeyword({ type: 'string', pattern: '\\bword' })?.reason).toMatch(/escape '\\b'/);
    expect(findUnconstrainableKeyword({ type: 'string', pattern: 'a^b' })?.reason).toMatch(/only at the start/);
    expect(findUnconstrainableKeyword({ type: 'string', pattern: '(' })?.reason).toMatch(/not a valid regular expression/);
  });
  it('accepts fractional and exclusive bounds on numbers and refuses an empty range', () => {
    expect(findUnconstrainableKeyword({ type: 'number', minimum: 0.5, exclusiveMaximum: 2.25 })).toBeUndefined();
    expect(findUnconstrainableKeyword({ type: 'integer', minimum: 0.5, maximum: 0.9 })).toMatchObject({ keyword: 'minimum' });
    expect(findUnconstrainableKeyword({ type: 'number', exclusiveMinimum: 1, maximum: 1 })).toMatchObject({ keyword: 'minimum' });
  });
});

describe('generationToolFields', () => {
  const parameters = { type: 'object', properties: { x: { type: 'integer' } } };
  it('maps legacy functions and function_call', () => {
    expect(generationToolFields({ functions: [{ name: 'f', parameters }], function_call: { name: 'f' } })).toEqual({
      tools: [{ name: 'f', parameters }],
      toolChoice: { name: 'f' },
      parallelToolCalls: true,
    });
  });
  it('defaults to auto and gives a function without parameters an empty object schema', () => {
    expect(generationToolFields({ tools: [{ type: 'function', function: { name: 'g' } }] })).toMatchObject({
      toolChoice: 'auto',
      tools: [{ parameters: { type: 'object', properties: {} } }],
    });
  });
  it('rejects a choice without tools', () => {
    expect(() => generationToolFields({ tool_choice: 'required' })).toThrow(/only allowed/);
  });
});
