import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ZodError } from 'zod';
import {
  chatCompletionRequestSchema,
  completionRequestSchema,
  findModelSpec,
  InvalidRequestError,
  responseCreateRequestSchema,
  unsupportedInResponseRequest,
  type BatchEndpoint,
  type BatchLineError,
  type ChatCompletionRequest,
  type CompletionRequest,
  type ModelSpec,
  type ResponseCreateRequest,
} from '@spool/shared';
import { assertEngineHonours } from '../engine-support.js';
import { paramOf } from '../middleware/error-handler.js';

/** One non-blank line of an input file, numbered from 1 as an editor numbers it. */
export interface InputLine {
  line: number;
  text: string;
}

/** Streams a file's non-blank lines; the file is never read whole. */
export async function* readLines(stream: Readable): AsyncIterable<InputLine> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() !== '') yield { line, text };
  }
}

/** A valid request line, parsed. */
export type BatchRequestLine =
  | { line: number; customId: string; spec: ModelSpec; endpoint: '/v1/chat/completions'; body: ChatCompletionRequest }
  | { line: number; customId: string; spec: ModelSpec; endpoint: '/v1/completions'; body: CompletionRequest }
  | { line: number; customId: string; spec: ModelSpec; endpoint: '/v1/responses'; body: ResponseCreateRequest };

/** A Responses API line: everything a response may ask for except what needs a stored turn. */
function responseLineBody(body: unknown): ResponseCreateRequest {
  const parsed = responseCreateRequestSchema.parse(body);
  const unsupported = unsupportedInResponseRequest(parsed);
  if (unsupported) throw new InvalidRequestError(unsupported.message, unsupported.param);
  if (parsed.previous_response_id)
    throw new InvalidRequestError("A batch line cannot continue a stored response: send the whole conversation as 'input'.", 'previous_response_id');
  if (parsed.background || parsed.stream)
    throw new InvalidRequestError('A batch line is neither streamed nor run in the background.', parsed.background ? 'background' : 'stream');
  return parsed;
}

const bodySchemas = {
  '/v1/chat/completions': (body: unknown) => chatCompletionRequestSchema.parse(body),
  '/v1/completions': (body: unknown) => completionRequestSchema.parse(body),
  '/v1/responses': responseLineBody,
} satisfies Record<BatchEndpoint, (body: unknown) => { model: string }>;

type Parsed = { ok: true; request: BatchRequestLine } | { ok: false; error: BatchLineError };

const fail = (line: number, code: string, message: string, param: string | null = null): Parsed => ({ ok: false, error: { code, message, param, line } });

/** Checks one line against OpenAI's input format, the batch's endpoint and the configured models. */
export function parseRequestLine(
  { line, text }: InputLine,
  endpoint: BatchEndpoint,
  models: ModelSpec[],
  allowed: (model: string) => boolean = () => true,
): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(line, 'invalid_json_line', `Line ${line} is not valid JSON.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(line, 'invalid_request', `Line ${line} is not a JSON object.`);
  const { custom_id: customId, method, url, body } = value as Record<string, unknown>;
  if (typeof customId !== 'string' || customId === '') return fail(line, 'missing_required_parameter', `Line ${line} has no 'custom_id' string.`, 'custom_id');
  if (method !== 'POST') return fail(line, 'invalid_method', `Line ${line} has method '${String(method)}'; only 'POST' is supported.`, 'method');
  if (url !== endpoint)
    return fail(line, 'mismatched_url', `Line ${line} has url '${String(url)}', which does not match the batch's endpoint '${endpoint}'.`, 'url');
  try {
    const parsedBody = bodySchemas[endpoint](body);
    const spec = findModelSpec(models, parsedBody.model);
    if (!spec) return fail(line, 'model_not_found', `Line ${line} names the model '${parsedBody.model}', which does not exist.`, 'body.model');
    if (!allowed(parsedBody.model))
      return fail(line, 'model_not_allowed', `Line ${line} names the model '${parsedBody.model}', which this batch's token may not use.`, 'body.model');
    // As on the synchronous routes: a line its model's engine cannot honour is refused, never half-served.
    assertEngineHonours(spec, parsedBody as Record<string, unknown>);
    return { ok: true, request: { line, customId, spec, endpoint, body: parsedBody } as BatchRequestLine };
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      const param = paramOf(['body', ...(error.param ?? '').split('.').filter(Boolean)]);
      return fail(line, 'invalid_request', `Line ${line}: ${error.message}`, param);
    }
    if (!(error instanceof ZodError)) throw error;
    const issue = error.issues[0]!;
    const param = paramOf(['body', ...issue.path]);
    return fail(line, 'invalid_request', `Line ${line}: invalid value for '${param}': ${issue.message}`, param);
  }
}

/** Errors kept on a failed batch; past this, only the count grows. */
const MAX_REPORTED_ERRORS = 1000;

export interface Validation {
  errors: BatchLineError[];
  total: number;
  /** Canonical ids of the models the lines use. */
  models: string[];
}

/** Reads the whole input once: every line valid, custom_ids unique, within the line limit. */
export async function validateInput(
  lines: AsyncIterable<InputLine>,
  endpoint: BatchEndpoint,
  models: ModelSpec[],
  maxLines: number,
  allowed?: (model: string) => boolean,
): Promise<Validation> {
  const errors: BatchLineError[] = [];
  const seen = new Map<string, number>();
  const used = new Set<string>();
  let total = 0;
  const report = (error: BatchLineError) => errors.length < MAX_REPORTED_ERRORS && errors.push(error);
  for await (const input of lines) {
    total += 1;
    if (total > maxLines) {
      report({ code: 'too_many_requests', message: `The file has more than ${maxLines} requests.`, param: null, line: input.line });
      break;
    }
    const parsed = parseRequestLine(input, endpoint, models, allowed);
    if (!parsed.ok) {
      report(parsed.error);
      continue;
    }
    const first = seen.get(parsed.request.customId);
    if (first !== undefined) {
      report({
        code: 'duplicate_custom_id',
        message: `Line ${input.line} repeats the custom_id '${parsed.request.customId}' of line ${first}.`,
        param: 'custom_id',
        line: input.line,
      });
      continue;
    }
    seen.set(parsed.request.customId, input.line);
    used.add(parsed.request.spec.id);
  }
  if (total === 0) report({ code: 'empty_file', message: 'The input file has no requests.', param: null, line: null });
  return { errors, total, models: [...used] };
}
