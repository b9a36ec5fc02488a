import { describe, expect, it } from 'vitest';
import type { JobEvent, ResponseCreateRequest } from '@spool/shared';
import { createResponseEvents } from './response-events.js';
import type { StoredResponse } from './response-object.js';

const meta = { id: 'resp_abc', model: 'tiny', created: 1 };
const stored: StoredResponse = { request: { model: 'tiny', input: 'hi' } as ResponseCreateRequest, context: [], input: [] };
const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const at = (attempt: number) => ({ seq: 0, attempt });

function run(events: JobEvent[]) {
  const builder = createResponseEvents(meta, stored);
  return [...builder.opening(), ...events.flatMap((event) => builder.add(event))];
}

describe('createResponseEvents', () => {
  it('opens, streams and closes a text message in the Responses API order', () => {
    const events = run([
      { type: 'start', workerId: 'w', ...at(1) },
      { type: 'text-delta', choice: 0, text: 'Once', ...at(1) },
      { type: 'text-delta', choice: 0, text: ' upon', ...at(1) },
      { type: 'end', choice: 0, finishReason: 'length', usage, ...at(1) },
      { type: 'done', usage, ...at(1) },
    ]);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(events[6]).toMatchObject({ text: 'Once upon', item_id: 'msg_abc', output_index: 0 });
    expect(events.at(-1)).toMatchObject({
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } },
    });
  });

  it('shows the output so far, every item in progress, for polling a running response', () => {
    const builder = createResponseEvents(meta, stored);
    builder.add({ type: 'start', workerId: 'w', ...at(1) });
    expect(builder.output()).toEqual([]);
    builder.add({ type: 'text-delta', choice: 0, text: 'Once', ...at(1) });
    builder.add({ type: 'tool-call-delta', choice: 0, index: 0, id: 'call_1', name: 'f', arguments: '{', ...at(1) });
    expect(builder.output()).toMatchObject([{ content: [{ text: 'Once' }] }, { type: 'function_call', status: 'in_progress', arguments: '{' }]);
  });

  it('closes the message before a function call and numbers the call after it', () => {
    const events = run([
      { type: 'start', workerId: 'w', ...at(1) },
      { type: 'text-delta', choice: 0, text: 'Let me see.', ...at(1) },
      { type: 'tool-call-delta', choice: 0, index: 0, id: 'call_1', name: 'get_weather', arguments: '{"city"', ...at(1) },
      { type: 'tool-call-delta', choice: 0, index: 0, arguments: ':"Paris"}', ...at(1) },
      { type: 'end', choice: 0, finishReason: 'tool_calls', usage, ...at(1) },
      { type: 'done', usage, ...at(1) },
    ]);
    const types = events.map((event) => event.type);
    expect(types.indexOf('response.output_item.done')).toBeLessThan(types.indexOf('response.function_call_arguments.delta'));
    expect(events.find((event) => event.type === 'response.function_call_arguments.done')).toMatchObject({
      output_index: 1,
      arguments: '{"city":"Paris"}',
      name: 'get_weather',
      item_id: 'fc_abc_0',
    });
    expect(events.at(-1)).toMatchObject({
      type: 'response.completed',
      response: { output: [{ type: 'message' }, { type: 'function_call', call_id: 'call_1', arguments: '{"city":"Paris"}', status: 'completed' }] },
    });
  });

  it('starts over with an empty output when a re-run replaces an attempt, and ignores the old attempt after that', () => {
    const events = run([
      { type: 'start', workerId: 'w', ...at(1) },
      { type: 'text-delta', choice: 0, text: 'lost', ...at(1) },
      { type: 'start', workerId: 'w2', ...at(2) },
      { type: 'text-delta', choice: 0, text: 'late', ...at(1) },
      { type: 'text-delta', choice: 0, text: 'kept', ...at(2) },
      { type: 'end', choice: 0, finishReason: 'stop', usage, ...at(2) },
      { type: 'done', usage, ...at(2) },
    ]);
    expect(events.filter((event) => event.type === 'response.in_progress')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ response: { status: 'completed', output: [{ content: [{ text: 'kept' }] }] } });
  });

  it('ends a failure with an error event and response.failed, and a cancel with response.failed alone', () => {
    const error = { message: 'boom', type: 'server_error', param: null, code: 'internal_error' };
    const failed = run([{ type: 'error', status: 500, error, ...at(1) }]);
    expect(failed.slice(1)).toMatchObject([
      { type: 'error', code: 'internal_error', message: 'boom' },
      { type: 'response.failed', response: { status: 'failed', error: { code: 'internal_error' } } },
    ]);
    const cancelled = run([{ type: 'error', status: 499, error: { ...error, code: 'cancelled' }, ...at(1) }]);
    expect(cancelled.slice(1)).toMatchObject([{ type: 'response.failed', response: { status: 'cancelled', error: null } }]);
  });
});
