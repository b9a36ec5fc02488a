import { describe, expect, it } from 'vitest';
import { formatReset } from './headers.js';
import { reservedTokens } from './token-estimate.js';

describe('reservedTokens', () => {
  it('reserves the prompt estimate plus max tokens for every choice', () => {
    // 'Hello there' (11) + '\n' + 'Hi' (2) = 14 characters → ceil(14 / 3) + 8 = 13.
    const body = {
      messages: [
        { role: 'system', content: 'Hello there' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      ],
      max_tokens: 20,
      n: 2,
    };
    expect(reservedTokens(body, 512)).toBe(2 * (13 + 20));
  });

  it('prefers max_completion_tokens, falls back to the context, and caps a choice at the context', () => {
    expect(reservedTokens({ messages: [{ content: 'abc' }], max_completion_tokens: 5, max_tokens: 50 }, 512)).toBe(9 + 5);
    expect(reservedTokens({ messages: [{ content: 'abc' }] }, 100)).toBe(100);
  });

  it('counts legacy prompts one by one with a default of 16 tokens', () => {
    expect(reservedTokens({ prompt: ['abc', 'abcdef'] }, 512)).toBe(9 + 16 + (10 + 16));
  });

  it('counts a Responses API body: instructions and input items, with max_output_tokens', () => {
    // 'de' + '\n' + 'abc' = 6 characters → ceil(6 / 3) + 8 = 10.
    expect(reservedTokens({ input: 'abc', instructions: 'de', max_output_tokens: 5 }, 512)).toBe(10 + 5);
    expect(
      reservedTokens(
        {
          input: [
            { role: 'user', content: [{ type: 'input_text', text: 'abc' }] },
            { type: 'function_call_output', output: 'xyz' },
          ],
        },
        100,
      ),
    ).toBe(100);
  });

  it('reserves nothing for bodies that name no prompt, whatever their shape', () => {
    for (const body of [undefined, null, 'text', 42, [], {}, { messages: 'x' }, { prompt: 7 }]) expect(reservedTokens(body, 512)).toBe(0);
  });
});

describe('formatReset', () => {
  it.each([
    [0, '0ms'],
    [20, '20ms'],
    [1000, '1s'],
    [45_200, '46s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatReset(ms)).toBe(text);
  });
});
