import { describe, expect, it } from 'vitest';
import { findUnconstrainableKeyword } from './json-schema-support.js';
import { generationToolFields } from './openai/tools.js';

describe('findUnconstrainableKeyword', () => {
  it('accepts the enforced subset with annotations', () => {
    expect(findUnconstrainableKeyword({
      $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', title: 'T',
      properties: { a: { type: ['string', 'null'], maxLength: 3 }, b: { enum: [1, 'x'] }, c: { type: 'integer', exclusiveMinimum: 0 }, d: { type: 'array', items: { $ref: '#/$defs/x' }, maxItems: 2 } },
      $defs: { x: { type: 'boolean' } }, required: ['a'], additionalProperties: false,
    })).toBeUndefined();
  });
  it('names the first keyword it cannot enforce and where', () => {
    expect(findUnconstrainableKeyword({ type: 'object', properties: { s: { type: 'string', format: 'email' } } })).toMatchObject({ keyword: 'format', path: 'properties.s.format' });
    expect(findUnconstrainableKeyword({ allOf: [] })).toMatchObject({ keyword: 'allOf' });
    expect(findUnconstrainableKeyword({ type: 'number', maximum: 1.5 })).toMatchObject({ keyword: 'maximum' });
    expect(findUnconstrainableKeyword({ $ref: 'https://example.com/s.json' })).toMatchObject({ keyword: '$ref' });
    expect(findUnconstrainableKeyword({ type: 'string', minLength: 5, maxLength: 2 })).toMatchObject({ keyword: 'minLength' });
  });
});

describe('generationToolFields', () => {
  const parameters = { type: 'object', properties: { x: { type: 'integer' } } };
  it('maps legacy functions and function_call', () => {
    expect(generationToolFields({ functions: [{ name: 'f', parameters }], function_call: { name: 'f' } })).toEqual({
      tools: [{ name: 'f', parameters }], toolChoice: { name: 'f' }, parallelToolCalls: true,
    });
  });
  it('defaults to auto and gives a function without parameters an empty object schema', () => {
    expect(generationToolFields({ tools: [{ type: 'function', function: { name: 'g' } }] })).toMatchObject({ toolChoice: 'auto', tools: [{ parameters: { type: 'object', properties: {} } }] });
  });
  it('rejects a choice without tools', () => {
    expect(() => generationToolFields({ tool_choice: 'required' })).toThrow(/only allowed/);
  });
});
