import { describe, expect, it } from 'vitest';
import { gbnfToRegex } from '../../../../test/helpers/gbnf-regex.js';
import { decimalRange, integerRange } from './numeric-grammar.js';

const asRegex = (expression: string) => gbnfToRegex(`root ::= ${expression}`);

describe('integer ranges in GBNF', () => {
  for (const [low, high] of [
    [0, 9],
    [1, 14],
    [-12, 14],
    [7, 1234],
    [-305, -17],
    [95, 105],
    [0, 0],
  ] as const) {
    it(`matches exactly the integers in [${low}, ${high}]`, () => {
      const regex = asRegex(integerRange(low, high));
      for (let value = low - 150; value <= high + 150; value += 1) expect(regex.test(String(value)), String(value)).toBe(value >= low && value <= high);
      expect(regex.test('01')).toBe(false);
    });
  }
});

describe('decimal ranges in GBNF', () => {
  const cases: [string, Parameters<typeof decimalRange>[0], Parameters<typeof decimalRange>[1]][] = [
    ['[0.5, ∞)', { value: 0.5, exclusive: false }, undefined],
    ['(0.5, 2.25]', { value: 0.5, exclusive: true }, { value: 2.25, exclusive: false }],
    ['[-1.5, -0.25)', { value: -1.5, exclusive: false }, { value: -0.25, exclusive: true }],
    ['(-0.75, 0.125)', { value: -0.75, exclusive: true }, { value: 0.125, exclusive: true }],
    ['[3.14, 3.15]', { value: 3.14, exclusive: false }, { value: 3.15, exclusive: false }],
    ['(0, 1)', { value: 0, exclusive: true }, { value: 1, exclusive: true }],
    ['(-∞, 10.05]', undefined, { value: 10.05, exclusive: false }],
  ];
  for (const [name, low, high] of cases) {
    it(`admits exactly the decimals in ${name}`, () => {
      const regex = asRegex(decimalRange(low, high));
      const inRange = (value: number) =>
        (!low || (low.exclusive ? value > low.value : value >= low.value)) && (!high || (high.exclusive ? value < high.value : value <= high.value));
      // Every spelling with up to three fraction digits between -4 and 12, and a few longer ones.
      const spellings: string[] = [];
      for (let thousandths = -4000; thousandths <= 12000; thousandths += 1) {
        const value = thousandths / 1000;
        spellings.push(String(value), value.toFixed(3), value.toFixed(2));
      }
      spellings.push('0.5000001', '0.4999999', '2.2500001', '3.1400', '-0.2500001', '0.125', '0.1249999');
      for (const spelling of spellings) {
        // Zero is written without a sign: "-0.00" is the one spelling left out on purpose.
        if (!/^-?(0|[1-9]\d*)(\.\d{1,6})?$/.test(spelling) || /^-0(\.0+)?$/.test(spelling)) continue;
        expect(regex.test(spelling), spelling).toBe(inRange(Number(spelling)));
      }
    });
  }
});
