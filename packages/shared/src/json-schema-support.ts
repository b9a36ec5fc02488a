/**
 * The subset of JSON Schema that Spool can enforce while decoding (tool arguments, `json_schema`
 * answers). The API rejects anything outside it with a 400 naming the keyword, and the worker's
 * grammar builder accepts exactly this subset, so a request that passes here always compiles there.
 */

import { parseRegexSubset, UnsupportedPatternError } from './regex-subset.js';

/** Keywords that only describe: accepted anywhere, ignored by the decoder. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly']);

/** Keywords the decoder enforces, with the JSON types they belong to (`*` for any). */
const ENFORCED = new Set([
  'type',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  '$ref',
  '$defs',
  'definitions',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);

export const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const;

/** Why a schema cannot be enforced, and where (`properties.age.minimum`). */
export interface UnconstrainableKeyword {
  keyword: string;
  path: string;
  reason: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;
/** Bounds the grammar can spell: plain decimals (no exponent) of at most 15 integer digits. */
const isBound = (value: unknown) => typeof value === 'number' && Math.abs(value) <= MAX_BOUND && !/e/i.test(String(value));
const MAX_BOUND = 999_999_999_999_999;

/**
 * String formats the decoder enforces. Every other `format` is an annotation, as JSON Schema 2020-12
 * treats formats by default: accepted, not enforced.
 */
export const ENFORCED_FORMATS = ['email', 'uri', 'url', 'uuid', 'date-time', 'date', 'time'] as const;
export type EnforcedFormat = (typeof ENFORCED_FORMATS)[number];
export const isEnforcedFormat = (format: unknown): format is EnforcedFormat => (ENFORCED_FORMATS as readonly unknown[]).includes(format);

/** Resolves a local `$ref` (`#/$defs/x` or `#/definitions/x`) against the root schema. */
export function resolveLocalRef(root: Record<string, unknown>, ref: string): Record<string, unknown> | undefined {
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  if (!match) return undefined;
  const defs = root[match[1]!];
  const target = isObject(defs) ? defs[decodeURIComponent(match[2]!)] : undefined;
  return isObject(target) ? target : undefined;
}

/**
 * The first keyword of `schema` that the decoder cannot enforce, or undefined when all of it can
 * be. `schema` is the root (local `$ref`s resolve against it).
 */
export function findUnconstrainableKeyword(schema: unknown): UnconstrainableKeyword | undefined {
  if (!isObject(schema)) return { keyword: '(schema)', path: '', reason: 'a schema must be a JSON object' };
  return walk(schema, schema, '');
}

function walk(node: unknown, root: Record<string, unknown>, path: string): UnconstrainableKeyword | undefined {
  const at = (keyword: string) => (path ? `${path}.${keyword}` : keyword);
  const fail = (keyword: string, reason: string) => ({ keyword, path: at(keyword), reason });
  if (typeof node === 'boolean') return node ? undefined : { keyword: 'false', path, reason: 'a `false` schema admits no value' };
  if (!isObject(node)) return { keyword: '(schema)', path, reason: 'a schema must be a JSON object' };

  for (const [keyword, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(keyword)) continue;
    if (!ENFORCED.has(keyword)) return fail(keyword, `the keyword '${keyword}' is not supported in constrained decoding`);
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || !types.every((type) => (JSON_TYPES as readonly unknown[]).includes(type))) {
          return fail(keyword, `'type' must be one of ${JSON_TYPES.join(', ')} or a list of them`);
        }
        break;
      }
      case 'enum':
        if (!Array.isArray(value) || value.length === 0) return fail(keyword, "'enum' must be a non-empty array");
        break;
      case 'const':
        // Any JSON value: the grammar writes it literally.
        break;
      case 'format':
        if (typeof value !== 'string') return fail(keyword, "'format' must be a string");
        if (isEnforcedFormat(value) && ('minLength' in node || 'maxLength' in node || 'pattern' in node)) {
          return fail(keyword, `'format: ${value}' cannot be enforced together with 'minLength', 'maxLength' or 'pattern'`);
        }
        break;
      case 'pattern': {
        if (typeof value !== 'string') return fail(keyword, "'pattern' must be a string");
        if ('minLength' in node || 'maxLength' in node) return fail(keyword, "'pattern' cannot be enforced together with 'minLength' or 'maxLength'");
        const problem = patternProblem(value);
        if (problem) return fail(keyword, problem);
        break;
      }
      case 'anyOf':
      case 'oneOf': {
        if (!Array.isArray(value) || value.length === 0) return fail(keyword, `'${keyword}' must be a non-empty array of schemas`);
        for (const [index, branch] of value.entries()) {
          const found = walk(branch, root, `${at(keyword)}[${index}]`);
          if (found) return found;
        }
        break;
      }
      case '$ref':
        if (typeof value !== 'string' || !resolveLocalRef(root, value)) {
          return fail(keyword, "only local references of the form '#/$defs/name' or '#/definitions/name' are supported");
        }
        break;
      case '$defs':
      case 'definitions':
      case 'properties': {
        if (!isObject(value)) return fail(keyword, `'${keyword}' must map names to schemas`);
        for (const [name, child] of Object.entries(value)) {
          const found = walk(child, root, `${at(keyword)}.${name}`);
          if (found) return found;
        }
        break;
      }
      case 'required':
        if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) return fail(keyword, "'required' must be an array of property names");
        break;
      case 'additionalProperties':
      case 'items': {
        if (keyword === 'items' && Array.isArray(value)) return fail(keyword, "tuple 'items' (an array of schemas) is not supported");
        const found = typeof value === 'boolean' ? undefined : walk(value, root, at(keyword));
        if (found) return found;
        break;
      }
      case 'minItems':
      case 'maxItems':
      case 'minLength':
      case 'maxLength':
        if (!isCount(value)) return fail(keyword, `'${keyword}' must be a non-negative integer`);
        break;
      default:
        // minimum, maximum, exclusiveMinimum, exclusiveMaximum
        if (!isBound(value)) return fail(keyword, `'${keyword}' must be a number of at most 15 integer digits, written without an exponent`);
    }
  }
  if (isCount(node.minLength) && isCount(node.maxLength) && (node.minLength as number) > (node.maxLength as number)) {
    return fail('minLength', "'minLength' is greater than 'maxLength'");
  }
  if (isCount(node.minItems) && isCount(node.maxItems) && (node.minItems as number) > (node.maxItems as number)) {
    return fail('minItems', "'minItems' is greater than 'maxItems'");
  }
  if (numericRangeIsEmpty(node)) return fail('minimum', 'the numeric range is empty');
  return undefined;
}

/** Why a pattern cannot be enforced, or undefined when it can. */
function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
  } catch {
    return 'it is not a valid regular expression';
  }
  try {
    parseRegexSubset(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof UnsupportedPatternError) return `${error.message} in a pattern`;
    throw error;
  }
}

function numericRangeIsEmpty(node: Record<string, unknown>): boolean {
  const { low, high } = numericBounds(node);
  if (!low || !high) return false;
  const types = typesOf(node);
  if (types.includes('number')) return low.value > high.value || (low.value === high.value && (low.exclusive || high.exclusive));
  const [lowInteger, highInteger] = integerBounds(node);
  return lowInteger! > highInteger!;
}

/** The JSON types a schema node names (all of them when it names none). */
export function typesOf(node: Record<string, unknown>): string[] {
  if (typeof node.type === 'string') return [node.type];
  if (Array.isArray(node.type)) return node.type as string[];
  return [...JSON_TYPES];
}

/** A numeric bound: the value, and whether the value itself is excluded. */
export interface NumericBound {
  value: number;
  exclusive: boolean;
}

/** The tightest lower and upper bound of a node (`minimum` and `exclusiveMinimum` folded into one). */
export function numericBounds(node: Record<string, unknown>): { low?: NumericBound; high?: NumericBound } {
  const num = (value: unknown) => (typeof value === 'number' ? value : undefined);
  const tighter = (inclusive: number | undefined, exclusive: number | undefined, lower: boolean): NumericBound | undefined => {
    if (exclusive === undefined) return inclusive === undefined ? undefined : { value: inclusive, exclusive: false };
    if (inclusive === undefined) return { value: exclusive, exclusive: true };
    const exclusiveWins = lower ? exclusive >= inclusive : exclusive <= inclusive;
    return exclusiveWins ? { value: exclusive, exclusive: true } : { value: inclusive, exclusive: false };
  };
  const low = tighter(num(node.minimum), num(node.exclusiveMinimum), true);
  const high = tighter(num(node.maximum), num(node.exclusiveMaximum), false);
  return { ...(low ? { low } : {}), ...(high ? { high } : {}) };
}

/** Inclusive integer bounds of a node, folding in the exclusive and fractional ones. */
export function integerBounds(node: Record<string, unknown>): [number | undefined, number | undefined] {
  const { low, high } = numericBounds(node);
  return [
    low === undefined ? undefined : low.exclusive ? Math.floor(low.value) + 1 : Math.ceil(low.value),
    high === undefined ? undefined : high.exclusive ? Math.ceil(high.value) - 1 : Math.floor(high.value),
  ];
}
