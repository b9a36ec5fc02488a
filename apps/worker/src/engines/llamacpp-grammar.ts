import {
  findUnconstrainableKeyword,
  integerBounds,
  isEnforcedFormat,
  numericBounds,
  parseRegexSubset,
  resolveLocalRef,
  typesOf,
  type JsonSchema,
} from '@spool/shared';
import { decimalRange, integerRange, MAX_INTEGER } from './numeric-grammar.js';
import { formatGrammar, patternGrammar } from './string-grammar.js';

/**
 * JSON Schema → GBNF for llama.cpp's grammar sampler. node-llama-cpp's own JSON-schema grammar makes
 * every property required and has no numeric ranges, so Spool builds its own: optional properties,
 * `enum`/`const`, string lengths, formats and patterns, numeric ranges, array lengths, unions and local `$ref`s. It accepts
 * exactly the subset `findUnconstrainableKeyword` (shared with the API) lets through.
 *
 * Some outputs the schema allows are never produced (no extra properties, no exponents under a range,
 * at most 15 integer digits, one space of whitespace): every produced output is valid, which is the
 * promise; the cuts keep a small model from rambling inside a number or whitespace.
 */

const PRIMITIVES: Record<string, string> = {
  ws: '" "?',
  char: '[^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})',
  string: '"\\"" char* "\\""',
  integer: '"-"? ("0" | [1-9] [0-9]{0,14})',
  number: 'integer ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,3})?',
  boolean: '"true" | "false"',
  null: '"null"',
  value: 'object | array | string | number | boolean | null',
  object: '"{" ws (string ws ":" ws value (ws "," ws string ws ":" ws value)*)? ws "}"',
  array: '"[" ws (value (ws "," ws value)*)? ws "]"',
};

/** A GBNF string literal of `text`. */
export function gbnfLiteral(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

class GrammarBuilder {
  private readonly rules = new Map<string, string>();
  private readonly byBody = new Map<string, string>();
  private readonly refs = new Map<string, string>();
  private counter = 0;

  constructor(private readonly root: Record<string, unknown>) {}

  /** Names `body` as a rule (reusing an identical one) and returns the name. */
  rule(body: string, hint = 'r'): string {
    const existing = this.byBody.get(body);
    if (existing) return existing;
    const name = `${hint.replace(/[^A-Za-z0-9]/g, '').slice(0, 20) || 'r'}-${(this.counter += 1)}`;
    this.rules.set(name, body);
    this.byBody.set(body, name);
    return name;
  }

  primitive(name: keyof typeof PRIMITIVES): string {
    const needs: Record<string, string[]> = {
      string: ['char'],
      number: ['integer'],
      value: ['object', 'array', 'string', 'number', 'boolean', 'null'],
      object: ['ws', 'string', 'value'],
      array: ['ws', 'value'],
    };
    if (!this.rules.has(name)) {
      this.rules.set(name, PRIMITIVES[name]!);
      for (const need of needs[name] ?? []) this.primitive(need);
    }
    return name;
  }

  /** An expression (not always a rule name) that matches exactly the JSON `schema` admits. */
  schema(node: unknown): string {
    if (node === true || node === undefined) return this.primitive('value');
    const schema = node as Record<string, unknown>;
    if (typeof schema.$ref === 'string') return this.ref(schema.$ref);
    if ('const' in schema) return gbnfLiteral(JSON.stringify(schema.const));
    if (Array.isArray(schema.enum)) return this.rule(schema.enum.map((value) => gbnfLiteral(JSON.stringify(value))).join(' | '), 'enum');
    const branches = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
    if (branches) return this.rule(branches.map((branch) => this.schema(branch)).join(' | '), 'any-of');
    let types = typesOf(schema);
    if (schema.type === undefined) {
      // An untyped node with type-specific keywords means that type.
      if (schema.properties) types = ['object'];
      else if (schema.items) types = ['array'];
    }
    if (types.length === 1) return this.typed(types[0]!, schema);
    return this.rule(types.map((type) => this.typed(type, schema)).join(' | '), 'union');
  }

  private ref(ref: string): string {
    const known = this.refs.get(ref);
    if (known) return known;
    const name = `def-${(this.counter += 1)}`;
    // Reserve the name first so that recursive definitions refer to it.
    this.refs.set(ref, name);
    this.rules.set(name, '');
    this.rules.set(name, this.schema(resolveLocalRef(this.root, ref)));
    return name;
  }

  private typed(type: string, schema: Record<string, unknown>): string {
    switch (type) {
      case 'string':
        return this.string(schema);
      case 'integer':
        return this.integer(schema);
      case 'number':
        return this.number(schema);
      case 'object':
        return this.object(schema);
      case 'array':
        return this.array(schema);
      default:
        return this.primitive(type as 'boolean' | 'null');
    }
  }

  private string(schema: Record<string, unknown>): string {
    if (isEnforcedFormat(schema.format)) {
      return this.rule(`"\\"" ${formatGrammar(schema.format)} "\\""`, `format-${schema.format}`);
    }
    if (typeof schema.pattern === 'string') {
      return this.rule(`"\\"" ${patternGrammar(parseRegexSubset(schema.pattern), `(${this.primitive('char')})`)} "\\""`, 'pattern');
    }
    const min = (schema.minLength as number | undefined) ?? 0;
    const max = schema.maxLength as number | undefined;
    if (min === 0 && max === undefined) return this.primitive('string');
    this.primitive('char');
    return this.rule(`"\\"" char{${min},${max ?? ''}} "\\""`, 'string');
  }

  private integer(schema: Record<string, unknown>): string {
    const [low, high] = integerBounds(schema);
    if (low === undefined && high === undefined) return this.primitive('integer');
    return this.rule(integerRange(low ?? -MAX_INTEGER, high ?? MAX_INTEGER), 'int');
  }

  private number(schema: Record<string, unknown>): string {
    const { low, high } = numericBounds(schema);
    if (!low && !high) return this.primitive('number');
    return this.rule(decimalRange(low, high), 'num');
  }

  private object(schema: Record<string, unknown>): string {
    const properties = schema.properties as Record<string, unknown> | undefined;
    const ws = this.primitive('ws');
    if (!properties || Object.keys(properties).length === 0) {
      const extra = schema.additionalProperties;
      if (extra === false || properties) return this.rule(`"{" ${ws} "}"`, 'empty');
      if (extra === undefined || extra === true) return this.primitive('object');
      const value = this.schema(extra);
      const key = this.primitive('string');
      return this.rule(`"{" ${ws} (${key} ${ws} ":" ${ws} ${value} (${ws} "," ${ws} ${key} ${ws} ":" ${ws} ${value})*)? ${ws} "}"`, 'map');
    }
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const pair = (name: string) => this.rule(`${gbnfLiteral(JSON.stringify(name))} ${ws} ":" ${ws} ${this.schema(properties[name])}`, `kv-${name}`);
    const names = Object.keys(properties);
    const requiredPairs = names.filter((name) => required.has(name)).map(pair);
    const optionalPairs = names.filter((name) => !required.has(name)).map(pair);
    const comma = `${ws} "," ${ws}`;
    const tail = (from: number) =>
      optionalPairs
        .slice(from)
        .map((item) => `(${comma} ${item})?`)
        .join(' ');
    let body: string;
    if (requiredPairs.length > 0) {
      body = [requiredPairs.join(` ${comma} `), tail(0)].filter(Boolean).join(' ');
    } else {
      // No required property: any optional one may come first, the later ones each maybe after it.
      body = `(${optionalPairs.map((item, index) => [item, tail(index + 1)].filter(Boolean).join(' ')).join(' | ')})?`;
    }
    return this.rule(`"{" ${ws} ${body} ${ws} "}"`, 'obj');
  }

  private array(schema: Record<string, unknown>): string {
    const ws = this.primitive('ws');
    const min = (schema.minItems as number | undefined) ?? 0;
    const max = schema.maxItems as number | undefined;
    if (max === 0) return this.rule(`"[" ${ws} "]"`, 'empty');
    const item = this.schema(schema.items);
    const more = `(${ws} "," ${ws} ${item}){${Math.max(min - 1, 0)},${max === undefined ? '' : max - 1}}`;
    const items = min >= 1 ? `${item} ${more}` : `(${item} ${more})?`;
    return this.rule(`"[" ${ws} ${items} ${ws} "]"`, 'arr');
  }

  render(rootExpression: string): string {
    return [`root ::= ${rootExpression}`, ...[...this.rules].map(([name, body]) => `${name} ::= ${body}`)].join('\n');
  }
}

/** GBNF of the JSON text a schema admits; throws on a schema outside the supported subset. */
export function jsonSchemaGrammar(schema: JsonSchema): string {
  const unsupported = findUnconstrainableKeyword(schema);
  if (unsupported) throw new Error(`Unsupported schema keyword '${unsupported.keyword}' at '${unsupported.path}': ${unsupported.reason}`);
  const builder = new GrammarBuilder(schema);
  return builder.render(builder.schema(schema));
}

/** GBNF of one of the given literal strings (a function name). */
export function choiceGrammar(options: string[]): string {
  return `root ::= ${options.map(gbnfLiteral).join(' | ')}`;
}
