import { describe, expect, it } from 'vitest';
import { addToAnswer, emptyAnswer, type AnswerPiece } from './answer.js';
import { estimateTokens } from './token-estimate.js';

describe('addToAnswer', () => {
  it('joins text, opens a tool call on its first piece and appends the arguments of later ones, and ends the choice', () => {
    const answer = emptyAnswer();
    const pieces: AnswerPiece[] = [
      { type: 'text-delta', text: 'Let me ' },
      { type: 'text-delta', text: 'check.' },
      { type: 'tool-call-delta', index: 0, id: 'call_a', name: 'weather', arguments: '{"city":' },
      { type: 'tool-call-delta', index: 1, id: 'call_b', name: 'time', arguments: '{}' },
      { type: 'tool-call-delta', index: 0, arguments: '"Oslo"}' },
      { type: 'end', finishReason: 'tool_calls' },
    ];
    for (const piece of pieces) addToAnswer(answer, piece);
    expect(answer).toEqual({
      text: 'Let me check.',
      toolCalls: [
        { id: 'call_a', name: 'weather', arguments: '{"city":"Oslo"}' },
        { id: 'call_b', name: 'time', arguments: '{}' },
      ],
      finishReason: 'tool_calls',
    });
  });

  it('ignores arguments of a call whose first piece never came', () => {
    const answer = emptyAnswer();
    addToAnswer(answer, { type: 'tool-call-delta', index: 0, arguments: '{}' });
    expect(answer.toolCalls).toEqual([]);
    expect(answer.finishReason).toBeNull();
  });
});

describe('estimateTokens', () => {
  it('bounds a text at about three characters a token plus a few for the template', () => {
    expect(estimateTokens('')).toBe(8);
    expect(estimateTokens('Hello there\nHi')).toBe(13);
  });
});
