import type { NumericBound } from '@spool/shared';

/** GBNF of JSON numbers within bounds: integer ranges digit by digit, fractions compared digit by digit. */

/** Integers beyond 15 digits lose precision in JSON parsers; an unbounded side stops there. */
export const MAX_INTEGER = 999_999_999_999_999;
/** Fraction digits a bounded number may have (more when a bound needs more). */
const FRACTION_DIGITS = 6;

const literal = (text: string) => `"${text}"`;

/** GBNF for the decimal digits of every natural number in [low, high] (0 ≤ low ≤ high), no sign. */
export function naturalRange(low: number, high: number): string {
  const alternatives: string[] = [];
  for (let digits = String(low).length; digits <= String(high).length; digits += 1) {
    const from = Math.max(low, digits === 1 ? 0 : 10 ** (digits - 1));
    const to = Math.min(high, 10 ** digits - 1);
    if (from <= to) alternatives.push(sameLengthRange(String(from), String(to)));
  }
  return alternatives.map((alternative) => `(${alternative})`).join(' | ');
}

/** Digit strings of one length between `low` and `high`, as a GBNF expression. */
function sameLengthRange(low: string, high: string): string {
  if (low.length === 0) return '""';
  if (low === high) return literal(low);
  const rest = low.length - 1;
  const anyRest = rest === 0 ? '' : ` [0-9]{${rest}}`;
  if (/^0*$/.test(low.slice(1)) && /^9*$/.test(high.slice(1))) return `[${low[0]}-${high[0]}]${anyRest}`;
  const [a, b] = [Number(low[0]), Number(high[0])];
  if (a === b) return `${literal(low[0]!)} (${sameLengthRange(low.slice(1), high.slice(1))})`;
  const parts = [`${literal(low[0]!)} (${sameLengthRange(low.slice(1), '9'.repeat(rest))})`];
  if (a + 1 <= b - 1) parts.push(`[${a + 1}-${b - 1}]${anyRest}`);
  parts.push(`${literal(high[0]!)} (${sameLengthRange('0'.repeat(rest), high.slice(1))})`);
  return parts.map((part) => `(${part})`).join(' | ');
}

/** GBNF for the JSON integers in [low, high]. */
export function integerRange(low: number, high: number): string {
  const alternatives: string[] = [];
  if (high >= 0) alternatives.push(naturalRange(Math.max(low, 0), high));
  if (low < 0) alternatives.push(`"-" (${naturalRange(Math.max(-high, 1), -low)})`);
  return alternatives.map((alternative) => `(${alternative})`).join(' | ');
}

/** The fraction digits of a plain decimal, trailing zeros dropped ('' for an integer). */
const fractionDigits = (value: number) => (String(value).split('.')[1] ?? '').replace(/0+$/, '');

type FractionBound = { digits: string; exclusive: boolean };

/**
 * GBNF for fraction digit strings s (1 to `maxDigits` digits) with lo ≤ 0.s ≤ hi (or < where a bound
 * is exclusive), or undefined when none exists. Walks the digits while s still equals a bound's prefix.
 */
function fractionRange(lo: FractionBound | undefined, hi: FractionBound | undefined, maxDigits: number): string | undefined {
  const state = (index: number, loTight: boolean, hiTight: boolean): { expr?: string; mayEnd: boolean } => {
    // s ending here is worth its prefix followed by zeros.
    let mayEnd = index > 0;
    if (loTight && lo) mayEnd &&= index >= lo.digits.length && !lo.exclusive;
    if (hiTight && hi) mayEnd &&= index < hi.digits.length || !hi.exclusive;
    if (index >= maxDigits) return { mayEnd };
    if (!(loTight && lo) && !(hiTight && hi)) return { expr: `[0-9]{1,${maxDigits - index}}`, mayEnd };
    const low = loTight && lo ? Number(lo.digits[index] ?? '0') : 0;
    const high = hiTight && hi ? Number(hi.digits[index] ?? '0') : 9;
    const alternatives: string[] = [];
    const follow = (digit: string, next: { expr?: string; mayEnd: boolean }) => {
      if (next.expr && next.mayEnd) alternatives.push(`${digit} (${next.expr})?`);
      else if (next.expr) alternatives.push(`${digit} (${next.expr})`);
      else if (next.mayEnd) alternatives.push(digit);
    };
    for (let digit = low; digit <= high; digit += 1) {
      const stillLo = loTight && digit === low && !!lo;
      const stillHi = hiTight && digit === high && !!hi;
      if (stillLo || stillHi) follow(`"${digit}"`, state(index + 1, stillLo, stillHi));
      else {
        // Every digit strictly between the bounds' digits frees the rest: gather them in one class.
        const freeHigh = hiTight && hi ? high - 1 : high;
        follow(digit === freeHigh ? `"${digit}"` : `[${digit}-${freeHigh}]`, state(index + 1, false, false));
        digit = freeHigh;
      }
    }
    return { expr: alternatives.length > 0 ? alternatives.map((alternative) => `(${alternative})`).join(' | ') : undefined, mayEnd };
  };
  return state(0, true, true).expr;
}

/** `intExpr` with a fraction within the bounds; undefined when no fraction fits and the bare integer does not either. */
function withFraction(intExpr: string, lo: FractionBound | undefined, hi: FractionBound | undefined, maxDigits: number): string | undefined {
  const fraction = fractionRange(lo, hi, maxDigits);
  // The bare integer is worth k + 0.
  const bare = (!lo || (lo.digits === '' && !lo.exclusive)) && (!hi || hi.digits !== '' || !hi.exclusive);
  if (fraction === undefined) return bare ? intExpr : undefined;
  return bare ? `${intExpr} ("." (${fraction}))?` : `${intExpr} "." (${fraction})`;
}

/** Non-negative numbers between two bounds (0 ≤ lo.value ≤ hi.value), without a sign. */
function nonNegativeRange(lo: NumericBound, hi: NumericBound): string | undefined {
  const [whole, top] = [Math.floor(lo.value), Math.floor(hi.value)];
  const loFraction = { digits: fractionDigits(lo.value), exclusive: lo.exclusive };
  const hiFraction = { digits: fractionDigits(hi.value), exclusive: hi.exclusive };
  const maxDigits = Math.max(FRACTION_DIGITS, loFraction.digits.length, hiFraction.digits.length);
  const alternatives: (string | undefined)[] = [];
  if (whole === top) alternatives.push(withFraction(literal(String(whole)), loFraction, hiFraction, maxDigits));
  else {
    alternatives.push(withFraction(literal(String(whole)), loFraction, undefined, maxDigits));
    if (whole + 1 <= top - 1) alternatives.push(withFraction(`(${naturalRange(whole + 1, top - 1)})`, undefined, undefined, maxDigits));
    alternatives.push(withFraction(literal(String(top)), undefined, hiFraction, maxDigits));
  }
  const found = alternatives.filter((alternative): alternative is string => alternative !== undefined);
  return found.length > 0 ? found.map((alternative) => `(${alternative})`).join(' | ') : undefined;
}

/** GBNF for the JSON numbers (no exponent) between two bounds, either of which may be fractional or exclusive. */
export function decimalRange(low: NumericBound | undefined, high: NumericBound | undefined): string {
  const lo = low ?? { value: -MAX_INTEGER - 0.5, exclusive: false };
  const hi = high ?? { value: MAX_INTEGER + 0.5, exclusive: false };
  const alternatives: string[] = [];
  if (hi.value >= 0) {
    const positive = nonNegativeRange(lo.value >= 0 ? lo : { value: 0, exclusive: false }, hi);
    if (positive) alternatives.push(positive);
  }
  if (lo.value < 0) {
    // x < 0 within [lo, hi] is "-" y with y > 0 within [-min(hi, 0), -lo].
    const negative = nonNegativeRange(hi.value < 0 ? { value: -hi.value, exclusive: hi.exclusive } : { value: 0, exclusive: true }, {
      value: -lo.value,
      exclusive: lo.exclusive,
    });
    if (negative) alternatives.push(`"-" (${negative})`);
  }
  return alternatives.map((alternative) => `(${alternative})`).join(' | ');
}
