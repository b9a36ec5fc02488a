import type { FinishReason } from './openai/common.js';
import type { ToolCallResult } from './jobs.js';
import type { TokenLogprob } from './engine.js';

/** One choice's answer, as far as its streamed pieces have come. */
export interface ChoiceAnswer {
  text: string;
  toolCalls: ToolCallResult[];
  /** Null until the choice has ended. */
  finishReason: FinishReason | null;
  /** The text's tokens with their log probabilities, when the request asked for them. */
  logprobs?: TokenLogprob[];
}

/**
 * A streamed piece of one choice, named as an engine's `GenerationEvent` names it (a job's events
 * carry the same pieces, tagged with their choice).
 */
export type AnswerPiece =
  | { type: 'text-delta'; text: string; logprobs?: TokenLogprob[] }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; arguments: string }
  | { type: 'end'; finishReason: FinishReason };

export const emptyAnswer = (): ChoiceAnswer => ({ text: '', toolCalls: [], finishReason: null });

/**
 * Adds one piece to a choice's answer: the one way streamed pieces become a final answer, so a
 * stream's concatenated deltas, a stored job result, a cached answer and the worker's result agree.
 * A tool call's first piece carries its id and name; the later ones only add arguments.
 */
export function addToAnswer(answer: ChoiceAnswer, piece: AnswerPiece): void {
  switch (piece.type) {
    case 'text-delta':
      answer.text += piece.text;
      if (piece.logprobs) (answer.logprobs ??= []).push(...piece.logprobs);
      return;
    case 'tool-call-delta': {
      if (piece.id !== undefined) answer.toolCalls[piece.index] = { id: piece.id, name: piece.name ?? '', arguments: '' };
      const call = answer.toolCalls[piece.index];
      if (call) call.arguments += piece.arguments;
      return;
    }
    case 'end':
      answer.finishReason = piece.finishReason;
  }
}
