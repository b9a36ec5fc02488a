import { describe, expect, it } from 'vitest';
import { evaluateArithmetic } from './calculate.js';

describe('evaluateArithmetic', () => {
  it('follows precedence, associativity and functions', () => {
    expect(evaluateArithmetic('2 + 3 * 4')).toBe(14);
    expect(evaluateArithmetic('(2 + 3) * 4')).toBe(20);
    expect(evaluateArithmetic('2 ^ 3 ^ 2')).toBe(512);
    expect(evaluateArithmetic('-2 ^ 2')).toBe(-4);
    expect(evaluateArithmetic('10 % 4 - -1')).toBe(3);
    expect(evaluateArithmetic('max(1, sqrt(16), 2) + round(pi)')).toBe(7);
    expect(evaluateArithmetic('1.5e2 / .5')).toBe(300);
  });
  it('refuses anything that is not arithmetic', () => {
    for (const bad of ['', '2 +', '(1', '1)', 'constructor', 'process.exit(1)', '1 / 0', 'alert`1`']) {
      expect(() => evaluateArithmetic(bad), bad).toThrow(/Cannot evaluate/);
    }
  });
});
