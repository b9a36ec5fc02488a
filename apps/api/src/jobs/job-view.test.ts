import { describe, expect, it } from 'vitest';
import type { JobEvent } from '@spool/shared';
import { chatFormat } from '../respond/formats.js';
import { sseEventOf } from './event-chunks.js';
import type { LoggedEvent } from './event-log.js';
import type { JobRecord } from './job-record.js';
import { jobView } from './job-view.js';

const record: JobRecord = {
  id: 'job_1',
  owner: 'anonymous',
  model: 'm',
  requestedModel: 'm',
  endpoint: '/v1/chat/completions',
  completionId: 'chatcmpl-1',
  created: 100,
  choices: 1,
  body: {},
};
const format = chatFormat({ id: record.completionId, model: 'm', created: 100 });
const usage = { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 };
const log = (...events: JobEvent[]): LoggedEvent[] => events.map((event, sequence) => ({ sequence, event }));

describe('jobView', () => {
  it('is queued with no events and in progress once started', () => {
    expect(jobView(record, [], format).status).toBe('queued');
    expect(jobView(record, log({ type: 'start', workerId: 'w', seq: 0, attempt: 1 }), format).status).toBe('in_progress');
  });

  it('builds the result from the latest attempt only', () => {
    const events = log(
      { type: 'start', workerId: 'w', seq: 0, attempt: 1 },
      { type: 'text-delta', choice: 0, text: 'lost', seq: 1, attempt: 1 },
      { type: 'start', workerId: 'v', seq: 0, attempt: 2 },
      { type: 'text-delta', choice: 0, text: 'Once', seq: 1, attempt: 2 },
      { type: 'text-delta', choice: 0, text: ' upon', seq: 2, attempt: 2 },
      { type: 'end', choice: 0, finishReason: 'length', usage, seq: 3, attempt: 2 },
      { type: 'done', usage, seq: 4, attempt: 2 },
    );
    const job = jobView(record, events, format);
    expect(job.status).toBe('completed');
    expect(job.result).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Once upon' }, finish_reason: 'length' }], usage });
  });

  it('reads a cancelled error as cancelled and any other error as failed', () => {
    const error = (code: string): JobEvent => ({ type: 'error', status: 499, error: { message: 'x', type: 't', param: null, code }, seq: 0, attempt: 1 });
    expect(jobView(record, log(error('cancelled')), format)).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(jobView(record, log(error('internal_error')), format)).toMatchObject({ status: 'failed', result: null });
  });
});

describe('sseEventOf', () => {
  it('opens with one role chunk for every choice and marks a re-run with a reset event', () => {
    const opening = sseEventOf({ type: 'start', workerId: 'w', seq: 0, attempt: 1 }, format, 2);
    expect(opening.data).toMatchObject({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant' } }, { index: 1 }] });
    expect(sseEventOf({ type: 'start', workerId: 'w', seq: 0, attempt: 2 }, format, 1)).toMatchObject({ name: 'reset' });
  });

  it('ends with the usage chunk on done and with the error on error', () => {
    expect(sseEventOf({ type: 'done', usage, seq: 3, attempt: 1 }, format, 1)).toMatchObject({ data: { choices: [], usage }, last: 'done' });
    const error = { message: 'x', type: 't', param: null, code: 'c' };
    expect(sseEventOf({ type: 'error', status: 500, error, seq: 0, attempt: 1 }, format, 1)).toEqual({ data: { error }, last: 'error' });
  });
});
