import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { ResponseCreateRequest } from '@spool/shared';
import { chatMessagesOf, inputItemsOf } from './conversation.js';

const request = (input: unknown) => ({ model: 'tiny', input }) as ResponseCreateRequest;

describe('conversation items', () => {
  it('gives a string input one user message, with an id derived from the response', () => {
    expect(inputItemsOf(request('Hi'), 'abc')).toEqual([
      { id: 'msg_abc_0', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'Hi' }] },
    ]);
  });

  it('maps instructions, messages, function calls and their outputs to chat messages', () => {
    const items = inputItemsOf(
      request([
        { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{}' },
        { type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'It is sunny.' }] },
      ]),
      'abc',
    );
    expect(chatMessagesOf('Be brief.', items)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', content: 'sunny', tool_call_id: 'call_1' },
      { role: 'assistant', content: 'It is sunny.' },
    ]);
  });

  it('names the bad item in a refusal', () => {
    try {
      inputItemsOf(
        request([
          { role: 'user', content: 'x' },
          { type: 'function_call', name: 'f', arguments: '{}' },
        ]),
        'abc',
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ZodError);
      expect((error as ZodError).issues[0]!.path.slice(0, 2)).toEqual(['input', 1]);
    }
  });
});
