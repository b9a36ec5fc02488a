import type { JobEvent } from '@spool/shared';
import type { ResponseFormat } from '../respond/formats.js';

/** One SSE event of a job's event stream. */
export interface JobSseEvent {
  /** The SSE `event:` field; absent for plain chunks, which OpenAI clients read as data. */
  name?: string;
  data: object;
  /** After this event the stream closes (with `data: [DONE]` when the job completed). */
  last?: 'done' | 'error';
}

/**
 * Each log entry becomes exactly one SSE event, so its sequence number is the SSE id and a client
 * resumes at an entry boundary: the chunks a stream of the same request would carry, with every
 * choice's opening chunk merged into one. A re-run after a worker died opens with a `reset`
 * event: discard what came before it.
 */
export function sseEventOf(event: JobEvent, format: ResponseFormat, choiceCount: number): JobSseEvent {
  switch (event.type) {
    case 'start': {
      if (event.attempt > 1) return { name: 'reset', data: { object: 'job.reset', attempt: event.attempt } };
      const chunks = Array.from(
        { length: choiceCount },
        (_, choice) => format.chunk(choice, format.roleChunk ? { kind: 'role' } : { kind: 'text', text: '' }, null) as { choices: object[] },
      );
      return { data: { ...chunks[0], choices: chunks.flatMap((chunk) => chunk.choices) } };
    }
    case 'text-delta':
      return { data: format.chunk(event.choice, { kind: 'text', text: event.text, logprobs: event.logprobs }, null) };
    case 'tool-call-delta':
      return {
        data: format.chunk(event.choice, { kind: 'tool-call', index: event.index, id: event.id, name: event.name, arguments: event.arguments }, null),
      };
    case 'end':
      return { data: format.chunk(event.choice, { kind: 'finish', finishReason: event.finishReason }, null) };
    case 'done':
      return { data: format.usageChunk(event.usage), last: 'done' };
    case 'error':
      return { data: { error: event.error }, last: 'error' };
  }
}
