import { randomUUID } from 'node:crypto';
import type { FinishReason, GenerationResult, SpoolError } from '@spool/shared';
import { chatFormat, completionFormat } from '../respond/formats.js';
import { systemFingerprint } from '../respond/system-fingerprint.js';
import { inputItemsOf } from '../responses/conversation.js';
import { idHexOf, responsesFormat } from '../responses/response-object.js';
import type { BatchRequestLine } from './input-lines.js';

/** One line of an output or error file, as OpenAI writes them. */
export interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

const hex = () => randomUUID().replaceAll('-', '');

/** The body the synchronous route would have answered, built by the same formats. */
export function successLine(request: BatchRequestLine, requestId: string, result: GenerationResult): OutputLine {
  const created = Math.floor(Date.now() / 1000);
  const choices = result.choices.map((choice) => ({
    text: choice.text,
    toolCalls: choice.toolCalls ?? [],
    finishReason: choice.finishReason as FinishReason,
    ...(choice.logprobs ? { logprobs: choice.logprobs } : {}),
  }));
  let body: object;
  if (request.endpoint === '/v1/responses') {
    const id = `resp_${hex()}`;
    body = responsesFormat(
      { id, model: request.body.model, created },
      { request: request.body, context: [], input: inputItemsOf(request.body, idHexOf(id)) },
    ).final(choices, result.usage);
  } else if (request.endpoint === '/v1/chat/completions') {
    const legacyFunctions = !request.body.tools?.length && !!request.body.functions?.length;
    body = chatFormat(
      { id: `chatcmpl-${hex()}`, model: request.body.model, created, systemFingerprint: systemFingerprint(request.spec) },
      { legacyFunctions },
    ).final(choices, result.usage);
  } else {
    const prompts = typeof request.body.prompt === 'string' ? [request.body.prompt] : request.body.prompt;
    const echo = request.body.echo ? prompts.flatMap((prompt) => Array<string>(request.body.n ?? 1).fill(prompt)) : undefined;
    body = completionFormat({ id: `cmpl-${hex()}`, model: request.body.model, created, systemFingerprint: systemFingerprint(request.spec) }, echo).final(
      choices,
      result.usage,
    );
  }
  return { id: `batch_req_${hex()}`, custom_id: request.customId, response: { status_code: 200, request_id: requestId, body }, error: null };
}

/** A request the API itself refused (as the synchronous route would have, with its status). */
export function refusedLine(customId: string, requestId: string, error: SpoolError): OutputLine {
  return { id: `batch_req_${hex()}`, custom_id: customId, response: { status_code: error.status, request_id: requestId, body: error.toJSON() }, error: null };
}

/** A request that produced no HTTP response: its generation failed, or the batch expired first. */
export function failedLine(customId: string, code: string, message: string): OutputLine {
  return { id: `batch_req_${hex()}`, custom_id: customId, response: null, error: { code, message } };
}
