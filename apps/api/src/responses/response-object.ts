import type { OpenAIErrorBody, ResponseCreateRequest, TokenUsage } from '@spool/shared';
import type { ChoiceState, ResponseFormat, ResponseMeta } from '../respond/formats.js';
import type { ConversationItem } from './conversation.js';

/** What a response's job record keeps as its `body`. */
export interface StoredResponse {
  request: ResponseCreateRequest;
  /** Earlier turns, inputs and outputs, reached through `previous_response_id`. */
  context: ConversationItem[];
  /** This request's `input` as items. */
  input: ConversationItem[];
}

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';

export interface ResponseState {
  status: ResponseStatus;
  output: object[];
  usage: TokenUsage | null;
  error: OpenAIErrorBody | null;
}

/** The hex part of `resp_<hex>`: every item id of the response derives from it, so replays agree. */
export const idHexOf = (responseId: string) => responseId.slice(responseId.indexOf('_') + 1);

export const messageItemId = (responseId: string) => `msg_${idHexOf(responseId)}`;
export const callItemId = (responseId: string, index: number) => `fc_${idHexOf(responseId)}_${index}`;

type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export function messageItem(responseId: string, text: string | undefined, status: ItemStatus) {
  const content = text === undefined ? [] : [{ type: 'output_text' as const, text, annotations: [] as [], logprobs: [] }];
  return { id: messageItemId(responseId), type: 'message' as const, status, role: 'assistant' as const, content };
}

export function callItem(responseId: string, index: number, call: ChoiceState['toolCalls'][number], status: ItemStatus) {
  return { id: callItemId(responseId, index), type: 'function_call' as const, status, call_id: call.id, name: call.name, arguments: call.arguments };
}

/** The output items of a generation: its text as one message, then each function call. */
export function outputOf(responseId: string, choice: ChoiceState, status: ItemStatus) {
  const calls = choice.toolCalls.map((call, index) => callItem(responseId, index, call, status));
  return [...(choice.text !== '' || calls.length === 0 ? [messageItem(responseId, choice.text, status)] : []), ...calls];
}

const usageOf = (usage: TokenUsage) => ({
  input_tokens: usage.prompt_tokens,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: usage.completion_tokens,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: usage.total_tokens,
});

/** The response object, echoing the request's settings as OpenAI does. */
export function responseObject(meta: ResponseMeta, stored: StoredResponse, state: ResponseState) {
  const request = stored.request;
  const ended = state.status !== 'queued' && state.status !== 'in_progress';
  return {
    id: meta.id,
    object: 'response' as const,
    created_at: meta.created,
    status: state.status,
    background: request.background === true,
    error: state.error && state.status === 'failed' ? { code: state.error.code ?? 'server_error', message: state.error.message } : null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: request.max_tool_calls ?? null,
    metadata: request.metadata ?? {},
    model: meta.model,
    output: state.output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: request.store !== false,
    temperature: request.temperature ?? 1,
    text: { format: request.text?.format ?? { type: 'text' } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: (request.tools ?? []).map((tool) => ({ ...tool, strict: tool.strict ?? true })),
    top_logprobs: 0,
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: ended && state.usage ? usageOf(state.usage) : null,
    user: request.user ?? null,
  };
}
export type ResponseObject = ReturnType<typeof responseObject>;

/** A finished generation's status: one cut short by `max_output_tokens` is `incomplete`. */
export const endStatusOf = (choice: ChoiceState) => (choice.finishReason === 'length' ? ('incomplete' as const) : ('completed' as const));

/**
 * The final body of a response job, for the job view (`GET /v1/jobs/{id}`, `GET /v1/responses/{id}`).
 * Its stream is made of typed events (response-events.ts), never of chunks.
 */
export function responsesFormat(meta: ResponseMeta, stored: StoredResponse): ResponseFormat {
  const noChunks = (): never => {
    throw new Error('A response streams typed events (response-events.ts), not chunks.');
  };
  return {
    roleChunk: false,
    chunk: noChunks,
    usageChunk: noChunks,
    final: ([choice], usage) => {
      const status = endStatusOf(choice!);
      return responseObject(meta, stored, { status, output: outputOf(meta.id, choice!, status), usage, error: null });
    },
  };
}
