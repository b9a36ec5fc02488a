import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { gbnfToRegex } from '../../../../test/helpers/gbnf-regex.js';
import { jsonSchemaGrammar } from './llamacpp-grammar.js';

describe('jsonSchemaGrammar', () => {
  it('rejects what the shared check rejects', () => {
    expect(() => jsonSchemaGrammar({ type: 'string', pattern: '(?=x)' })).toThrow(/pattern/);
  });
  it('makes required properties mandatory and optional ones optional, in order', () => {
    const grammar = jsonSchemaGrammar({ type: 'object', properties: { a: { type: 'boolean' }, b: { type: 'null' } }, required: ['b'] });
    expect(grammar).toMatch(/"\\"b\\"".*\(ws "," ws kva-\d+\)\?/s);
  });
  it('resolves recursive local references', () => {
    const grammar = jsonSchemaGrammar({
      $defs: { node: { type: 'object', properties: { next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } } } },
      $ref: '#/$defs/node',
    });
    expect(grammar).toMatch(/^root ::= def-1/);
  });
});

describe('jsonSchemaGrammar: constants, formats and patterns', () => {
  const admits = (schema: Record<string, unknown>) => {
    const regex = gbnfToRegex(jsonSchemaGrammar(schema));
    return (value: unknown) => regex.test(JSON.stringify(value));
  };

  it('writes const and enum values of every JSON type literally', () => {
    for (const value of ['a', 1.5, -2, true, null]) {
      const test = admits({ const: value });
      expect(test(value), String(value)).toBe(true);
      expect(test('other'), String(value)).toBe(false);
    }
    const union = admits({
      oneOf: [{ type: 'object', properties: { kind: { type: 'string', const: 'circle' } }, required: ['kind'] }, { enum: [false, 'x', 0.25] }],
    });
    expect([{ kind: 'circle' }, false, 'x', 0.25].every(union)).toBe(true);
    expect([{ kind: 'square' }, true, 'y'].some(union)).toBe(false);
  });

  const formats: [string, z.ZodType, string[], string[]][] = [
    [
      'uuid',
      z.uuid(),
      [randomUUID(), '123E4567-E89B-12D3-A456-426614174000'],
      ['123e4567-e89b-12d3-a456', 'zzzzzzzz-e89b-12d3-a456-426614174000', '123e4567-e89b-02d3-a456-426614174000'],
    ],
    ['email', z.email(), ['ann@example.com', 'a.b+c@mail.example.org'], ['ann@', '@example.com', 'ann example.com', 'ann@example']],
    ['uri', z.url(), ['https://example.com', 'http://a.example.org/x/y-z.html'], ['example.com', 'https://', 'ftp//x']],
    ['date', z.iso.date(), ['2024-02-29', '1999-12-31'], ['2024-13-01', '24-01-01', '2024-1-1']],
    ['time', z.iso.time(), [], ['25:00:00Z', '12:60:00Z', '12:00']],
    ['date-time', z.iso.datetime({ offset: true }), ['2024-05-01T12:30:00Z', '2024-05-01T12:30:00.123+02:00'], ['2024-05-01 12:30:00Z', '2024-05-01T12:30Z']],
  ];
  for (const [format, validator, valid, invalid] of formats) {
    it(`admits ${format} values that validate and refuses malformed ones`, () => {
      const test = admits({ type: 'string', format });
      for (const value of valid) expect(test(value), value).toBe(true);
      for (const value of invalid) expect(test(value), value).toBe(false);
      // Whatever the grammar admits validates.
      for (const value of [...valid, ...invalid]) if (test(value)) expect(validator.safeParse(value).success, value).toBe(true);
    });
  }
  it('writes RFC 3339 times with an offset', () => {
    const test = admits({ type: 'string', format: 'time' });
    expect(test('12:30:00Z')).toBe(true);
    expect(test('23:59:59.5+05:30')).toBe(true);
  });
  it('treats an unknown format as an annotation', () => {
    const test = admits({ type: 'string', format: 'hostname' });
    expect(test('anything at all')).toBe(true);
  });

  it('enforces anchored and unanchored patterns inside the JSON string', () => {
    const code = admits({ type: 'string', pattern: '^[A-Z]{2}-\\d{3}$' });
    expect(code('AB-123')).toBe(true);
    expect(['ab-123', 'AB-12', 'AB-1234', 'xAB-123'].some(code)).toBe(false);
    const pets = admits({ type: 'string', pattern: '^(?:cat|dog)s?$' });
    expect(['cat', 'dogs'].every(pets)).toBe(true);
    expect(['cow', 'catss'].some(pets)).toBe(false);
    const inside = admits({ type: 'string', pattern: 'abc' });
    expect(['abc', 'xxabcyy'].every(inside)).toBe(true);
    expect(inside('ab c')).toBe(false);
  });
  it('writes quotes, backslashes and newlines a pattern admits as JSON escapes', () => {
    const test = admits({ type: 'string', pattern: '^a["\\\\]\\nb$' });
    expect(test('a"\nb')).toBe(true);
    expect(test('a\\\nb')).toBe(true);
    expect(test('ax\nb')).toBe(false);
    expect(admits({ type: 'string', pattern: '^\\x01$' })('\x01')).toBe(true);
  });
  it('keeps negated classes and dots inside what JSON can hold unescaped', () => {
    const test = admits({ type: 'string', pattern: '^[^0-9].$' });
    expect(test('ab')).toBe(true);
    expect(test('1b')).toBe(false);
    expect(test('a"')).toBe(false);
  });
});
