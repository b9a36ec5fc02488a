import { addToAnswer, emptyAnswer, type JobEvent, type OpenAIErrorBody } from '@spool/shared';
import type { ResponseMeta } from '../respond/formats.js';
import {
  callItem,
  callItemId,
  messageItem,
  messageItemId,
  outputOf,
  responseObject,
  responsesFormat,
  type ResponseStatus,
  type StoredResponse,
} from './response-object.js';

/** One typed event of a response stream, before it gets its `sequence_number`. */
export type ResponseEvent = { type: string } & Record<string, unknown>;

export interface ResponseEvents {
  /** What a stream opens with, before any worker event: `response.created`. */
  opening(): ResponseEvent[];
  /** The typed events one worker event amounts to. */
  add(event: JobEvent): ResponseEvent[];
  /** How a failure ends the stream: an `error` event and `response.failed` (only the latter for a cancel). */
  fail(error: OpenAIErrorBody): ResponseEvent[];
  /** The output so far, every item still `in_progress`: what polling a running response shows. */
  output(): object[];
}

/**
 * Turns a response job's events into the Responses API's typed stream events. It is a pure
 * function of the event sequence, so a stream read live and one replayed from the job's log (from
 * any replica) number every event alike, and `starting_after=N` resumes exactly after event N.
 * A re-run after a worker died starts over with a second `response.in_progress` and no output.
 */
export function createResponseEvents(meta: ResponseMeta, stored: StoredResponse): ResponseEvents {
  const id = meta.id;
  let choice = emptyAnswer();
  /** Output index of the open message item, and of each open call item by its tool-call index. */
  let messageAt: number | undefined;
  let callsAt = new Map<number, number>();
  let nextOutput = 0;
  let messageOpen = false;
  let attempt = 0;
  const snapshot = (status: ResponseStatus, error: OpenAIErrorBody | null = null) => responseObject(meta, stored, { status, output: [], usage: null, error });

  function closeMessage(status: 'completed' | 'incomplete'): ResponseEvent[] {
    if (!messageOpen) return [];
    messageOpen = false;
    const place = { item_id: messageItemId(id), output_index: messageAt!, content_index: 0 };
    const text = choice.text;
    return [
      { type: 'response.output_text.done', ...place, text, logprobs: [] },
      { type: 'response.content_part.done', ...place, part: { type: 'output_text', text, annotations: [], logprobs: [] } },
      { type: 'response.output_item.done', output_index: messageAt!, item: messageItem(id, text, status) },
    ];
  }

  function closeCalls(status: 'completed' | 'incomplete'): ResponseEvent[] {
    const events = [...callsAt].flatMap(([index, outputIndex]): ResponseEvent[] => {
      const call = choice.toolCalls[index]!;
      return [
        {
          type: 'response.function_call_arguments.done',
          item_id: callItemId(id, index),
          output_index: outputIndex,
          name: call.name,
          arguments: call.arguments,
        },
        { type: 'response.output_item.done', output_index: outputIndex, item: callItem(id, index, call, status) },
      ];
    });
    callsAt = new Map();
    return events;
  }

  function text(delta: string): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    if (!messageOpen && messageAt === undefined) {
      messageOpen = true;
      messageAt = nextOutput++;
      events.push(
        { type: 'response.output_item.added', output_index: messageAt, item: messageItem(id, undefined, 'in_progress') },
        {
          type: 'response.content_part.added',
          item_id: messageItemId(id),
          output_index: messageAt,
          content_index: 0,
          part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
        },
      );
    }
    addToAnswer(choice, { type: 'text-delta', text: delta });
    // Text after a function call belongs to no open item any more; it still reaches the final body.
    if (messageOpen && delta !== '') {
      events.push({ type: 'response.output_text.delta', item_id: messageItemId(id), output_index: messageAt!, content_index: 0, delta, logprobs: [] });
    }
    return events;
  }

  function toolCall(event: Extract<JobEvent, { type: 'tool-call-delta' }>): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    addToAnswer(choice, event);
    if (event.id !== undefined) {
      events.push(...closeMessage('completed'));
      callsAt.set(event.index, nextOutput++);
      // The item opens empty; its arguments follow as deltas.
      const opened = { ...choice.toolCalls[event.index]!, arguments: '' };
      events.push({ type: 'response.output_item.added', output_index: callsAt.get(event.index)!, item: callItem(id, event.index, opened, 'in_progress') });
    }
    const outputIndex = callsAt.get(event.index);
    if (outputIndex === undefined) return events;
    if (event.arguments !== '') {
      events.push({ type: 'response.function_call_arguments.delta', item_id: callItemId(id, event.index), output_index: outputIndex, delta: event.arguments });
    }
    return events;
  }

  return {
    opening: () => [{ type: 'response.created', response: snapshot(stored.request.background ? 'queued' : 'in_progress') }],
    add(event) {
      // A late event of an attempt that was replaced changes nothing.
      if (event.attempt < attempt) return [];
      attempt = event.attempt;
      switch (event.type) {
        case 'start':
          if (event.attempt > 1) {
            choice = emptyAnswer();
            messageAt = undefined;
            messageOpen = false;
            callsAt = new Map();
            nextOutput = 0;
          }
          return [{ type: 'response.in_progress', response: snapshot('in_progress') }];
        case 'text-delta':
          return text(event.text);
        case 'tool-call-delta':
          return toolCall(event);
        case 'end': {
          addToAnswer(choice, event);
          const status = event.finishReason === 'length' ? 'incomplete' : 'completed';
          return [...closeMessage(status), ...closeCalls(status)];
        }
        case 'done': {
          const response = responsesFormat(meta, stored).final([choice], event.usage) as { status: string };
          return [{ type: response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response }];
        }
        case 'error':
          return fail(event.error);
      }
    },
    fail,
    output: () => (choice.text === '' && choice.toolCalls.length === 0 ? [] : outputOf(id, choice, 'in_progress')),
  };

  function fail(error: OpenAIErrorBody): ResponseEvent[] {
    if (error.code === 'cancelled') return [{ type: 'response.failed', response: snapshot('cancelled') }];
    return [
      { type: 'error', code: error.code, message: error.message, param: error.param },
      { type: 'response.failed', response: snapshot('failed', error) },
    ];
  }
}
