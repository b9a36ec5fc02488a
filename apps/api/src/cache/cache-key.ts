import { createHash } from 'node:crypto';

/**
 * Fields that never change the generated output and so stay out of the key. Everything else in the
 * parsed body is hashed, so a field added to a request schema later (tools, response_format, ...)
 * is part of the key by default; leaving one out takes an explicit line here.
 */
export const KEY_EXCLUDED_FIELDS: ReadonlySet<string> = new Set(['stream', 'stream_options', 'user']);

/** Two names for one setting: both hash as the first. */
const FIELD_ALIASES: Record<string, string> = { max_completion_tokens: 'max_tokens' };

/** Bump when the stored value's shape or the canonical form changes: old entries become unreachable. */
export const KEY_VERSION = 'v1';

export interface KeyInput {
  /** Which endpoint answers (chat and legacy completions differ for the same fields). */
  endpoint: string;
  /** The canonical model id the request's name or alias resolved to. */
  model: string;
  /** The zod-parsed body (unknown fields already stripped). */
  body: Record<string, unknown>;
  /** The endpoint's defaults, so `temperature: 1` and no temperature hash alike. */
  defaults: Record<string, unknown>;
  /** The tenant (the token's `sub`), or `global`. */
  scope: string;
}

/** JSON with object keys sorted at every depth; `undefined` and `null` members are dropped. */
export function canonicalJson(value: unknown): string {
  // Plain loops and string appends: this runs on every cacheable request, cache hits included.
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      out += `${index > 0 ? ',' : ''}${item === undefined ? 'null' : canonicalJson(item)}`;
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item == null) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
}

/** The request as it affects the output: aliases folded, defaults filled, excluded fields gone. */
export function canonicalRequest(input: KeyInput): Record<string, unknown> {
  const canonical: Record<string, unknown> = {};
  for (const field of Object.keys(input.body)) {
    const value = input.body[field];
    if (value != null && !KEY_EXCLUDED_FIELDS.has(field) && !(field in FIELD_ALIASES)) canonical[field] = value;
  }
  // An alias wins over the name it stands for, as the translation to a job reads it.
  for (const [alias, field] of Object.entries(FIELD_ALIASES)) if (input.body[alias] != null) canonical[field] = input.body[alias];
  for (const field of Object.keys(input.defaults)) if (canonical[field] === undefined) canonical[field] = input.defaults[field];
  canonical.model = input.model;
  return canonical;
}

/**
 * `v1:<model>:<sha256>`: the model stays readable so a removed model's entries can be dropped by
 * prefix; the tenant is inside the hash so keys say nothing about who asked.
 */
export function cacheKey(input: KeyInput): string {
  const hash = createHash('sha256')
    .update(`${input.endpoint}\n${input.scope}\n`)
    .update(canonicalJson(canonicalRequest(input)))
    .digest('base64url');
  return `${KEY_VERSION}:${input.model}:${hash}`;
}

/** The model part of a key. */
export const modelOfKey = (key: string): string => key.slice(KEY_VERSION.length + 1, key.lastIndexOf(':'));
