import { addToAnswer, emptyAnswer, type AsyncJobObject, type AsyncJobStatus, type JobEvent } from '@spool/shared';
import type { ResponseFormat } from '../respond/formats.js';
import type { LoggedEvent } from './event-log.js';
import type { JobRecord } from './job-record.js';

/** The events of the latest attempt: a re-run after a worker died starts the answer over. */
export function lastAttempt(events: LoggedEvent[]): JobEvent[] {
  const attempt = Math.max(0, ...events.map(({ event }) => event.attempt));
  return events.map(({ event }) => event).filter((event) => event.attempt === attempt);
}

/** The terminal event of a log, if the job has ended. */
export const terminalEvent = (events: LoggedEvent[]) => lastAttempt(events).find((event) => event.type === 'done' || event.type === 'error');

/** Folds one attempt's events into the final body, as the synchronous relay does. */
function result(events: JobEvent[], choiceCount: number, format: ResponseFormat): object | null {
  const choices = Array.from({ length: choiceCount }, emptyAnswer);
  for (const event of events) {
    if (event.type === 'done') return format.final(choices, event.usage);
    else if ('choice' in event) addToAnswer(choices[event.choice]!, event);
  }
  return null;
}

/** The job object from its record and its log. */
export function jobView(record: JobRecord, events: LoggedEvent[], format: ResponseFormat): AsyncJobObject {
  const attempt = lastAttempt(events);
  const end = terminalEvent(events);
  let status: AsyncJobStatus = attempt.length > 0 ? 'in_progress' : 'queued';
  if (end?.type === 'done') status = 'completed';
  if (end?.type === 'error') status = end.error.code === 'cancelled' ? 'cancelled' : 'failed';
  return {
    id: record.id,
    object: 'job',
    status,
    created_at: record.created,
    model: record.requestedModel,
    endpoint: record.endpoint,
    result: end?.type === 'done' ? result(attempt, record.choices, format) : null,
    error: end?.type === 'error' ? end.error : null,
  };
}
