import type { CodeRanges, EnforcedFormat, ParsedPattern, RegexNode } from '@spool/shared';

/**
 * GBNF for the inside of a JSON string (between its quotes) that matches a `format` or a `pattern`.
 * The grammar writes JSON text, so a character the value holds is written as JSON spells it: `"` and
 * `\` escaped, a newline as `\n`, other control characters as `\u00XX`. The formats produce a plain,
 * common spelling: every output matches; not every match is produced.
 */

const hex = '[0-9a-fA-F]';
const twoDigits = (first: string) => `${first} [0-9]`;
const date = `[0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | [12] [0-9] | "3" [01])`;
// RFC 3339 full-time: the offset is written, so validators that require it accept the value too.
const time = `([01] [0-9] | "2" [0-3]) ":" ${twoDigits('[0-5]')} ":" ${twoDigits('[0-5]')} ("." [0-9]{1,3})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" ${twoDigits('[0-5]')})`;
// Parts are bounded so that a small model cannot ramble inside one until it runs out of tokens.
const label = '[a-zA-Z0-9] ([a-zA-Z0-9-]{0,14} [a-zA-Z0-9])?';
const host = `(${label} "."){1,3} [a-zA-Z]{2,6}`;

// JSON may escape '/' as '\/' but need not: the plain spelling is the one written.
const uri = `"http" "s"? "://" ${host} ("/" [a-zA-Z0-9._~-]{0,16}){0,4}`;

const FORMATS: Record<EnforcedFormat, string> = {
  // A version digit and an RFC 9562 variant, which stricter validators (zod's) require.
  uuid: `${hex}{8} "-" ${hex}{4} "-" [1-8] ${hex}{3} "-" [89abAB] ${hex}{3} "-" ${hex}{12}`,
  date,
  time,
  'date-time': `${date} "T" ${time}`,
  email: `[a-zA-Z0-9_+-]{1,16} ("." [a-zA-Z0-9_+-]{1,16}){0,2} "@" ${host}`,
  uri,
  url: uri,
};

export function formatGrammar(format: EnforcedFormat): string {
  return FORMATS[format];
}

/** JSON's short escapes of control characters. */
const SHORT_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/** A GBNF literal of JSON text. */
const literal = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** How JSON must spell one character of a string value, or undefined when it is written as itself. */
function jsonSpelling(code: number): string | undefined {
  if (code === 34) return '\\"';
  if (code === 92) return '\\\\';
  if (code < 32) return SHORT_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
  return undefined;
}

/** A code point inside a GBNF character class. */
function classChar(code: number): string {
  if (code === 0x5d || code === 0x5c || code === 0x2d || code === 0x5e) return `\\${String.fromCharCode(code)}`;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code > 0xffff) return `\\U${code.toString(16).padStart(8, '0')}`;
  if (code > 0x7e) return `\\u${code.toString(16).padStart(4, '0')}`;
  return String.fromCharCode(code);
}

/** Splits ranges around the characters JSON must escape (`"`, `\`, controls). */
function plainRanges(ranges: CodeRanges): CodeRanges {
  const out: CodeRanges = [];
  for (const [low, high] of ranges) {
    let start = Math.max(low, 32);
    for (const special of [34, 92, 127]) {
      if (special >= start && special <= high) {
        if (start <= special - 1) out.push([start, special - 1]);
        start = special + 1;
      }
    }
    if (start <= high) out.push([start, high]);
  }
  return out;
}

function classGrammar(ranges: CodeRanges, negated: boolean): string {
  if (negated) {
    // Everything but the class, and but what JSON escapes: a subset of what the class admits.
    const excluded = ranges.map(([low, high]) => (low === high ? classChar(low) : `${classChar(low)}-${classChar(high)}`)).join('');
    return `[^${excluded}"\\\\\\x7F\\x00-\\x1F]`;
  }
  const alternatives: string[] = [];
  const plain = plainRanges(ranges);
  if (plain.length > 0) alternatives.push(`[${plain.map(([low, high]) => (low === high ? classChar(low) : `${classChar(low)}-${classChar(high)}`)).join('')}]`);
  const escaped = new Set<string>();
  for (const [low, high] of ranges) {
    for (const code of [34, 92, ...Array.from({ length: 32 }, (_, index) => index)]) {
      const spelling = code >= low && code <= high ? jsonSpelling(code) : undefined;
      if (spelling) escaped.add(literal(spelling));
    }
  }
  alternatives.push(...escaped);
  return alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' | ')})`;
}

function nodeGrammar(node: RegexNode): string {
  switch (node.type) {
    case 'class':
      return classGrammar(node.ranges, node.negated);
    case 'sequence':
      return node.items.length === 0 ? '""' : `(${node.items.map(nodeGrammar).join(' ')})`;
    case 'alternation':
      return `(${node.options.map(nodeGrammar).join(' | ')})`;
    case 'repeat': {
      const inner = nodeGrammar(node.node);
      if (node.max === undefined) return node.min === 0 ? `${inner}*` : node.min === 1 ? `${inner}+` : `${inner}{${node.min},}`;
      if (node.min === 0 && node.max === 1) return `${inner}?`;
      return node.min === node.max ? `${inner}{${node.min}}` : `${inner}{${node.min},${node.max}}`;
    }
  }
}

/** The inside of a JSON string that a pattern matches; an unanchored end admits any characters there. */
export function patternGrammar(pattern: ParsedPattern, jsonChar: string): string {
  return [pattern.anchoredStart ? '' : `${jsonChar}*`, nodeGrammar(pattern.node), pattern.anchoredEnd ? '' : `${jsonChar}*`].filter(Boolean).join(' ');
}
