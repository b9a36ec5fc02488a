/**
 * The regular expressions (JSON Schema `pattern`) that Spool can turn into a grammar: literals,
 * escapes, character classes, `.`, quantifiers, groups, alternation, and `^`/`$` at the ends. The
 * API parses a pattern here to refuse what falls outside (lookarounds, back-references, word
 * boundaries); the worker renders the same tree as GBNF, so what passes here always compiles there.
 */

/** Inclusive code-point ranges. */
export type CodeRanges = [number, number][];

export type RegexNode =
  | { type: 'sequence'; items: RegexNode[] }
  | { type: 'alternation'; options: RegexNode[] }
  | { type: 'class'; ranges: CodeRanges; negated: boolean }
  | { type: 'repeat'; node: RegexNode; min: number; max?: number };

/** A pattern as a tree, and whether it is anchored at each end (JSON Schema patterns match anywhere unless anchored). */
export interface ParsedPattern {
  node: RegexNode;
  anchoredStart: boolean;
  anchoredEnd: boolean;
}

/** A pattern outside the subset; the message says what. */
export class UnsupportedPatternError extends Error {
  override name = 'UnsupportedPatternError';
}

const DIGIT: CodeRanges = [[48, 57]];
const WORD: CodeRanges = [
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
];
const SPACE: CodeRanges = [
  [9, 13],
  [32, 32],
  [160, 160],
  [0xfeff, 0xfeff],
];
/** Quantifier bounds above this would blow up the grammar. */
const MAX_REPEAT = 1000;

const single = (char: string): RegexNode => ({ type: 'class', ranges: [[char.codePointAt(0)!, char.codePointAt(0)!]], negated: false });

export function parseRegexSubset(pattern: string): ParsedPattern {
  let source = pattern;
  const anchoredStart = source.startsWith('^');
  if (anchoredStart) source = source.slice(1);
  const anchoredEnd = source.endsWith('$') && !source.endsWith('\\$');
  if (anchoredEnd) source = source.slice(0, -1);
  const parser = new Parser(source);
  const node = parser.alternation();
  if (!parser.done()) throw new UnsupportedPatternError(`unexpected '${parser.peek()}' at ${parser.position}`);
  return { node, anchoredStart, anchoredEnd };
}

class Parser {
  position = 0;
  constructor(private readonly source: string) {}

  done = () => this.position >= this.source.length;
  peek = () => this.source[this.position]!;
  private next = () => this.source[this.position++]!;

  alternation(): RegexNode {
    const options = [this.sequence()];
    while (!this.done() && this.peek() === '|') {
      this.position += 1;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { type: 'alternation', options };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (!this.done() && this.peek() !== '|' && this.peek() !== ')') items.push(this.quantified(this.atom()));
    return { type: 'sequence', items };
  }

  private quantified(node: RegexNode): RegexNode {
    if (this.done()) return node;
    const char = this.peek();
    let min: number;
    let max: number | undefined;
    if (char === '*' || char === '+' || char === '?') {
      this.position += 1;
      [min, max] = char === '*' ? [0, undefined] : char === '+' ? [1, undefined] : [0, 1];
    } else if (char === '{' && /^\{\d+(,\d*)?\}/.test(this.source.slice(this.position))) {
      const [text, low, comma, high] = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.position))!;
      this.position += text.length;
      min = Number(low);
      max = comma === undefined ? min : high ? Number(high) : undefined;
      if (max !== undefined && max < min) throw new UnsupportedPatternError(`the quantifier ${text} is out of order`);
      if (min > MAX_REPEAT || (max ?? 0) > MAX_REPEAT) throw new UnsupportedPatternError(`quantifiers above ${MAX_REPEAT} are not supported`);
    } else {
      return node;
    }
    // A lazy quantifier matches the same strings.
    if (!this.done() && this.peek() === '?') this.position += 1;
    if (!this.done() && (/[*+?]/.test(this.peek()) || /^\{\d+(,\d*)?\}/.test(this.source.slice(this.position)))) {
      throw new UnsupportedPatternError('a quantifier cannot follow a quantifier');
    }
    return { type: 'repeat', node, min, ...(max === undefined ? {} : { max }) };
  }

  private atom(): RegexNode {
    const char = this.next();
    switch (char) {
      case '(': {
        if (this.source.startsWith('?:', this.position)) this.position += 2;
        else if (/^\?<[A-Za-z_]\w*>/.test(this.source.slice(this.position))) this.position = this.source.indexOf('>', this.position) + 1;
        else if (this.peek() === '?') throw new UnsupportedPatternError('lookarounds are not supported');
        const inner = this.alternation();
        if (this.done() || this.next() !== ')') throw new UnsupportedPatternError('a group is not closed');
        return inner;
      }
      case '[':
        return this.characterClass();
      case '.':
        return {
          type: 'class',
          ranges: [
            [10, 10],
            [13, 13],
            [0x2028, 0x2029],
          ],
          negated: true,
        };
      case '\\':
        return this.escape(false);
      case '^':
      case '$':
        throw new UnsupportedPatternError(`'${char}' is supported only at the start ('^') or end ('$') of the pattern`);
      case '*':
      case '+':
      case '?':
      case ')':
        throw new UnsupportedPatternError(`'${char}' has nothing to apply to`);
      default:
        return single(char + (isHighSurrogate(char) && !this.done() ? this.next() : ''));
    }
  }

  /** An escape after the backslash; inside a class `\b` is a backspace, outside it is a word boundary. */
  private escape(inClass: boolean): RegexNode {
    if (this.done()) throw new UnsupportedPatternError('the pattern ends with a backslash');
    const char = this.next();
    const ranges: Record<string, [CodeRanges, boolean]> = {
      d: [DIGIT, false],
      D: [DIGIT, true],
      w: [WORD, false],
      W: [WORD, true],
      s: [SPACE, false],
      S: [SPACE, true],
    };
    if (ranges[char]) return { type: 'class', ranges: ranges[char][0], negated: ranges[char][1] };
    const controls: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 };
    if (inClass && char === 'b') return single('\b');
    if (controls[char] !== undefined && !(char === '0' && /\d/.test(this.source[this.position] ?? ''))) return single(String.fromCharCode(controls[char]));
    const hex =
      char === 'x' ? /^[0-9a-fA-F]{2}/.exec(this.source.slice(this.position)) : char === 'u' ? /^[0-9a-fA-F]{4}/.exec(this.source.slice(this.position)) : null;
    if (hex) {
      this.position += hex[0].length;
      return single(String.fromCodePoint(parseInt(hex[0], 16)));
    }
    if (/[A-Za-z0-9]/.test(char)) throw new UnsupportedPatternError(`the escape '\\${char}' is not supported`);
    return single(char);
  }

  private characterClass(): RegexNode {
    const negated = !this.done() && this.peek() === '^';
    if (negated) this.position += 1;
    const ranges: CodeRanges = [];
    const nested: RegexNode[] = [];
    let first = true;
    while (!this.done() && (this.peek() !== ']' || first)) {
      first = false;
      const low = this.classMember();
      if (low.type !== 'class' || low.negated || low.ranges.length !== 1 || low.ranges[0]![0] !== low.ranges[0]![1]) {
        nested.push(low);
        continue;
      }
      const start = low.ranges[0]![0];
      if (this.peek() === '-' && this.source[this.position + 1] !== ']' && this.position + 1 < this.source.length) {
        this.position += 1;
        const high = this.classMember();
        if (high.type !== 'class' || high.ranges.length !== 1 || high.ranges[0]![0] !== high.ranges[0]![1])
          throw new UnsupportedPatternError('a class range must join two characters');
        const end = high.ranges[0]![0];
        if (end < start) throw new UnsupportedPatternError('a class range is out of order');
        ranges.push([start, end]);
      } else {
        ranges.push([start, start]);
      }
    }
    if (this.done()) throw new UnsupportedPatternError('a character class is not closed');
    this.position += 1;
    // A negated shorthand inside a class (`[\W_]`) would need set difference: refuse it.
    for (const member of nested) {
      if (member.type !== 'class' || member.negated) throw new UnsupportedPatternError('negated shorthands (\\D, \\W, \\S) inside a class are not supported');
      ranges.push(...member.ranges);
    }
    return { type: 'class', ranges, negated };
  }

  private classMember(): RegexNode {
    const char = this.next();
    if (char === '\\') return this.escape(true);
    return single(char + (isHighSurrogate(char) && !this.done() ? this.next() : ''));
  }
}

const isHighSurrogate = (char: string) => char >= '\ud800' && char <= '\udbff';
