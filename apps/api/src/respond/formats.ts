import type { ChoiceAnswer, FinishReason, TokenLogprob, TokenUsage } from '@spool/shared';

/** Chat's `logprobs` of some tokens, or null where none were asked for (or none came with the piece). */
const chatLogprobs = (logprobs: TokenLogprob[] | undefined) => (logprobs ? { content: logprobs, refusal: null } : null);

/** The legacy completions form of some tokens' log probabilities, their text offsets counted from `offset`. */
function legacyLogprobs(logprobs: TokenLogprob[] | undefined, offset: number) {
  if (!logprobs) return null;
  const textOffset: number[] = [];
  for (const entry of logprobs) {
    textOffset.push(offset);
    offset += entry.token.length;
  }
  return {
    tokens: logprobs.map((entry) => entry.token),
    token_logprobs: logprobs.map((entry) => entry.logprob),
    top_logprobs: logprobs.map((entry) => Object.fromEntries(entry.top_logprobs.map((top) => [top.token, top.logprob]))),
    text_offset: textOffset,
  };
}

/** Everything one choice has produced so far. */
export type ChoiceState = ChoiceAnswer;

/** A streamed piece of one choice. */
export type ChoiceDelta =
  | { kind: 'role' }
  | { kind: 'text'; text: string; logprobs?: TokenLogprob[] }
  | { kind: 'tool-call'; index: number; id?: string; name?: string; arguments: string }
  | { kind: 'finish'; finishReason: FinishReason };

/** How one endpoint shapes its chunks and its final body; the relay does the rest. */
export interface ResponseFormat {
  /** Whether a stream opens each choice with a role chunk (chat does, legacy completions do not). */
  roleChunk: boolean;
  chunk(choice: number, delta: ChoiceDelta, usage: null | undefined): object;
  usageChunk(usage: TokenUsage): object;
  final(choices: ChoiceState[], usage: TokenUsage): object;
}

export interface ResponseMeta {
  id: string;
  model: string;
  created: number;
  /** Names the serving configuration (see system-fingerprint.ts); null where unknown. */
  systemFingerprint?: string;
}

export interface ChatFormatOptions {
  /**
   * The request used the legacy `functions`: its call comes back as `message.function_call` (and
   * `delta.function_call`) with finish reason `function_call`, as the legacy API answers.
   */
  legacyFunctions?: boolean;
}

export function chatFormat(meta: ResponseMeta, options: ChatFormatOptions = {}): ResponseFormat {
  const legacy = options.legacyFunctions === true;
  const systemFingerprint = meta.systemFingerprint ?? null;
  const head = { id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, system_fingerprint: systemFingerprint };
  const finishReasonOf = (reason: FinishReason) => (legacy && reason === 'tool_calls' ? 'function_call' : reason);
  const deltaOf = (delta: ChoiceDelta) => {
    switch (delta.kind) {
      case 'role':
        return { role: 'assistant', content: '' };
      case 'text':
        return { content: delta.text };
      case 'tool-call':
        if (legacy) return { function_call: delta.id === undefined ? { arguments: delta.arguments } : { name: delta.name, arguments: delta.arguments } };
        return {
          tool_calls: [
            delta.id === undefined
              ? { index: delta.index, function: { arguments: delta.arguments } }
              : { index: delta.index, id: delta.id, type: 'function', function: { name: delta.name, arguments: delta.arguments } },
          ],
        };
      case 'finish':
        return {};
    }
  };
  const callsOf = (calls: ChoiceState['toolCalls']) =>
    legacy
      ? { function_call: { name: calls[0]!.name, arguments: calls[0]!.arguments } }
      : { tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) };
  return {
    roleChunk: true,
    chunk: (choice, delta, usage) => ({
      ...head,
      choices: [
        {
          index: choice,
          delta: deltaOf(delta),
          logprobs: chatLogprobs(delta.kind === 'text' ? delta.logprobs : undefined),
          finish_reason: delta.kind === 'finish' ? finishReasonOf(delta.finishReason) : null,
        },
      ],
      ...(usage === null ? { usage: null } : {}),
    }),
    usageChunk: (usage) => ({ ...head, choices: [], usage }),
    final: (choices, usage) => ({
      id: meta.id,
      object: 'chat.completion',
      created: meta.created,
      model: meta.model,
      system_fingerprint: systemFingerprint,
      choices: choices.map((choice, index) => ({
        index,
        message: {
          role: 'assistant',
          content: choice.toolCalls.length > 0 && choice.text === '' ? null : choice.text,
          ...(choice.toolCalls.length > 0 ? callsOf(choice.toolCalls) : {}),
          refusal: null,
        },
        logprobs: chatLogprobs(choice.logprobs),
        finish_reason: finishReasonOf(choice.finishReason ?? 'stop'),
      })),
      usage,
    }),
  };
}

export function completionFormat(meta: ResponseMeta, echoPrompts?: string[]): ResponseFormat {
  const head = { id: meta.id, object: 'text_completion', created: meta.created, model: meta.model, system_fingerprint: meta.systemFingerprint ?? null };
  // Text offsets of a streamed choice go on from where its last chunk ended.
  const streamedLength = new Map<number, number>();
  const chunkLogprobs = (choice: number, delta: ChoiceDelta) => {
    if (delta.kind !== 'text' || !delta.logprobs) return null;
    const offset = streamedLength.get(choice) ?? 0;
    streamedLength.set(choice, offset + delta.text.length);
    return legacyLogprobs(delta.logprobs, offset);
  };
  return {
    roleChunk: false,
    chunk: (choice, delta, usage) => ({
      ...head,
      choices: [
        {
          index: choice,
          text: delta.kind === 'text' ? delta.text : '',
          logprobs: chunkLogprobs(choice, delta),
          finish_reason: delta.kind === 'finish' ? delta.finishReason : null,
        },
      ],
      ...(usage === null ? { usage: null } : {}),
    }),
    usageChunk: (usage) => ({ ...head, choices: [], usage }),
    final: (choices, usage) => ({
      ...head,
      choices: choices.map((choice, index) => ({
        index,
        text: (echoPrompts?.[index] ?? '') + choice.text,
        logprobs: legacyLogprobs(choice.logprobs, echoPrompts?.[index]?.length ?? 0),
        finish_reason: choice.finishReason ?? 'stop',
      })),
      usage,
    }),
  };
}
