import { describe, expect, it } from 'vitest';
import { integerRange, jsonSchemaGrammar } from './llamacpp-grammar.js';

/** The integer-range GBNF uses literals, digit classes, {n} and |: it translates to a JS regex directly. */
const asRegex = (gbnf: string) => new RegExp(`^(?:${gbnf.replace(/"(-?\d*)"/g, '$1').replace(/ /g, '')})$`);

describe('integer ranges in GBNF', () => {
  for (const [low, high] of [[0, 9], [1, 14], [-12, 14], [7, 1234], [-305, -17], [95, 105], [0, 0]] as const) {
    it(`matches exactly the integers in [${low}, ${high}]`, () => {
      const regex = asRegex(integerRange(low, high));
      for (let value = low - 150; value <= high + 150; value += 1) expect(regex.test(String(value)), String(value)).toBe(value >= low && value <= high);
      expect(regex.test('01')).toBe(false);
    });
  }
});

describe('jsonSchemaGrammar', () => {
  it('rejects what the shared check rejects', () => {
    expect(() => jsonSchemaGrammar({ type: 'string', pattern: 'x' })).toThrow(/pattern/);
  });
  it('makes required properties mandatory and optional ones optional, in order', () => {
    const grammar = jsonSchemaGrammar({ type: 'object', properties: { a: { type: 'boolean' }, b: { type: 'null' } }, required: ['b'] });
    expect(grammar).toMatch(/"\\"b\\"".*\(ws "," ws kva-\d+\)\?/s);
  });
  it('resolves recursive local references', () => {
    const grammar = jsonSchemaGrammar({ $defs: { node: { type: 'object', properties: { next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } } } }, $ref: '#/$defs/node' });
    expect(grammar).toMatch(/^root ::= def-1/);
  });
});
