import type { NextFunction, Request, Response } from 'express';
import {
  chatCompletionRequestSchema,
  completionRequestSchema,
  InvalidRequestError,
  responseCreateRequestSchema,
  type Config,
  type Logger,
} from '@spool/shared';

type Limits = Pick<Config, 'MAX_JSON_DEPTH' | 'MAX_MESSAGES' | 'MAX_MESSAGE_CHARS' | 'MAX_PROMPT_CHARS'>;

/** Where in the body a value sits, as OpenAI writes a `param`: `messages[0].content`. */
const joinPath = (parent: string, key: string | number) => (typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key);

// Node 20 has String.prototype.isWellFormed; TypeScript's lib here predates it.
const wellFormed = (value: string) => (value as string & { isWellFormed(): boolean }).isWellFormed();

function checkString(value: string, pathOf: () => string): void {
  const nul = value.includes('\u0000');
  if (!nul && wellFormed(value)) return;
  const param = pathOf();
  if (nul) throw new InvalidRequestError(`'${param || 'body'}' contains a NUL character.`, param || null, 'invalid_characters');
  throw new InvalidRequestError(`'${param || 'body'}' contains a lone UTF-16 surrogate.`, param || null, 'invalid_unicode');
}

/**
 * Walks a parsed JSON body: refuses nesting past `maxDepth`, NUL characters and lone surrogates in
 * any key or string. The walk recurses, but never deeper than `maxDepth` (at most 1,000, see
 * MAX_JSON_DEPTH), so a hostile body nested a million levels (V8's JSON.parse copes) is refused at
 * the limit. The path of a value is worked out only for the error.
 */
export function checkJsonValue(body: unknown, maxDepth: number): void {
  const keys: (string | number)[] = [];
  const path = (last?: string | number) => [...keys, ...(last === undefined ? [] : [last])].reduce<string>(joinPath, '');
  const visit = (value: unknown, depth: number): void => {
    if (typeof value === 'string') return checkString(value, path);
    if (value === null || typeof value !== 'object') return;
    if (depth >= maxDepth) throw new InvalidRequestError(`The JSON body nests deeper than ${maxDepth} levels.`, path() || null, 'json_too_deep');
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index += 1) {
        keys.push(index);
        visit(value[index], depth + 1);
        keys.pop();
      }
      return;
    }
    for (const key of Object.keys(value)) {
      checkString(key, () => path(key));
      keys.push(key);
      visit((value as Record<string, unknown>)[key], depth + 1);
      keys.pop();
    }
  };
  visit(body, 0);
}

const contentLength = (content: unknown): number =>
  typeof content === 'string'
    ? content.length
    : Array.isArray(content)
      ? content.reduce((sum: number, part) => sum + (typeof part?.text === 'string' ? part.text.length : 0), 0)
      : 0;

/** Message count and per-message and total length limits of chat, legacy completion and response bodies. */
export function checkPromptSize(body: Record<string, unknown>, limits: Limits): void {
  const { messages, prompt, input } = body;
  const pieces: { length: number; param: string }[] = [];
  if (typeof input === 'string') pieces.push({ length: input.length, param: 'input' });
  else if (Array.isArray(input)) {
    // A Responses API body: its items are its messages.
    if (input.length > limits.MAX_MESSAGES)
      throw new InvalidRequestError(`At most ${limits.MAX_MESSAGES} input items are accepted; this request has ${input.length}.`, 'input', 'too_many_messages');
    input.forEach((item, index) => {
      const { content, output, arguments: args } = (item ?? {}) as { content?: unknown; output?: unknown; arguments?: unknown };
      pieces.push({ length: contentLength(content ?? output ?? args), param: `input[${index}]` });
    });
  }
  if (Array.isArray(messages)) {
    if (messages.length > limits.MAX_MESSAGES)
      throw new InvalidRequestError(
        `At most ${limits.MAX_MESSAGES} messages are accepted; this request has ${messages.length}.`,
        'messages',
        'too_many_messages',
      );
    messages.forEach((message, index) =>
      pieces.push({ length: contentLength((message as { content?: unknown })?.content), param: `messages[${index}].content` }),
    );
  } else if (typeof prompt === 'string') pieces.push({ length: prompt.length, param: 'prompt' });
  else if (Array.isArray(prompt))
    prompt.forEach((item, index) => pieces.push({ length: typeof item === 'string' ? item.length : 0, param: `prompt[${index}]` }));
  let total = 0;
  for (const piece of pieces) {
    if (piece.length > limits.MAX_MESSAGE_CHARS)
      throw new InvalidRequestError(`'${piece.param}' is longer than ${limits.MAX_MESSAGE_CHARS} characters.`, piece.param, 'message_too_long');
    total += piece.length;
  }
  if (total > limits.MAX_PROMPT_CHARS) {
    throw new InvalidRequestError(
      `The prompt is longer than ${limits.MAX_PROMPT_CHARS} characters in all.`,
      Array.isArray(messages) ? 'messages' : input !== undefined ? 'input' : 'prompt',
      'prompt_too_long',
    );
  }
}

// `background` is read by the async-job path from the raw body, not by the schema.
const knownFields: [RegExp, Set<string>][] = [
  [/^\/v1\/chat\/completions(\/stream)?\/?$/i, new Set([...Object.keys(chatCompletionRequestSchema.shape), 'background'])],
  [/^\/v1\/completions\/?$/i, new Set([...Object.keys(completionRequestSchema.shape), 'background'])],
  [/^\/v1\/responses\/?$/i, new Set(Object.keys(responseCreateRequestSchema.shape))],
];

/**
 * The validate step before a route's own schema: JSON shape limits on every body, size limits on
 * prompts, and a log line for top-level fields Spool does not know (ignored, not refused: clients
 * send new OpenAI fields before servers learn them).
 */
export function sanitizeBody(limits: Limits, logger: Logger) {
  return function sanitize(req: Request, res: Response, next: NextFunction): void {
    const body: unknown = req.body;
    if (body === undefined) return next();
    checkJsonValue(body, limits.MAX_JSON_DEPTH);
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      checkPromptSize(body as Record<string, unknown>, limits);
      const known = knownFields.find(([pattern]) => pattern.test(req.path))?.[1];
      const unknown = known ? Object.keys(body).filter((key) => !known.has(key)) : [];
      if (unknown.length > 0) logger.info({ requestId: res.locals.requestId, path: req.path, fields: unknown.slice(0, 20) }, 'ignored unknown request fields');
    }
    next();
  };
}
