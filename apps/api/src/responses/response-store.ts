import { InvalidRequestError, NotFoundError, type AsyncJobObject } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { readLog, type LoggedEvent } from '../jobs/event-log.js';
import { keysOf, readRecord, type JobRecord } from '../jobs/job-record.js';
import { cancelJob, deleteJob, getJob } from '../jobs/job-store.js';
import type { ConversationItem } from './conversation.js';
import { createResponseEvents } from './response-events.js';
import { responseObject, type ResponseObject, type StoredResponse } from './response-object.js';

/**
 * A stored response is an async job (record, event log, retention, cancel: jobs/*) whose id is
 * `resp_<hex>` and whose endpoint is `/v1/responses`; these functions read it the Responses way.
 */

/** The caller's stored response, or a 404 naming it. */
export async function readResponseRecord(deps: ApiDeps, id: string, owner: string): Promise<JobRecord> {
  const record = await readRecord(deps, id, owner).catch(() => undefined);
  if (!record || record.endpoint !== '/v1/responses') throw new NotFoundError(`No response found with id '${id}'.`, 'response_not_found', 'response_id');
  return record;
}

const metaOf = (record: JobRecord) => ({ id: record.id, model: record.requestedModel, created: record.created });

/** The response object of a job: its final body once ended, else its settings, status and output so far. */
function viewOf(record: JobRecord, job: AsyncJobObject, log: LoggedEvent[] = []): ResponseObject {
  if (job.result) return job.result as ResponseObject;
  const stored = record.body as StoredResponse;
  const events = createResponseEvents(metaOf(record), stored);
  for (const { event } of log) events.add(event);
  const output = job.status === 'in_progress' ? events.output() : [];
  return responseObject(metaOf(record), stored, { status: job.status === 'completed' ? 'completed' : job.status, output, usage: null, error: job.error });
}

export async function retrieveResponse(deps: ApiDeps, id: string, owner: string): Promise<ResponseObject> {
  const record = await readResponseRecord(deps, id, owner);
  const job = await getJob(deps, id, owner);
  // A running response shows the output its log holds so far.
  const log = job.status === 'in_progress' ? await readLog(deps.redis, keysOf(deps).eventLog(id)) : [];
  return viewOf(record, job, log);
}

/** Cancels a background response (OpenAI cancels only those); an ended one is answered as it is. */
export async function cancelResponse(deps: ApiDeps, id: string, owner: string): Promise<ResponseObject> {
  const record = await readResponseRecord(deps, id, owner);
  if (!(record.body as StoredResponse).request.background) {
    throw new InvalidRequestError('Only a background response can be cancelled.', 'response_id', 'not_background');
  }
  return viewOf(record, await cancelJob(deps, id, owner));
}

export async function deleteResponse(deps: ApiDeps, id: string, owner: string) {
  await readResponseRecord(deps, id, owner);
  await deleteJob(deps, id, owner);
  return { id, object: 'response' as const, deleted: true as const };
}

/**
 * The conversation a new turn continues: the earlier response's own context, its input and its
 * output. Kept as long as that response's job (JOB_RETENTION_S after its last event).
 */
export async function previousConversation(deps: ApiDeps, previousId: string, owner: string): Promise<ConversationItem[]> {
  const record = await readResponseRecord(deps, previousId, owner).catch(() => {
    throw new InvalidRequestError(`Previous response with id '${previousId}' not found.`, 'previous_response_id', 'previous_response_not_found');
  });
  const previous = viewOf(record, await getJob(deps, previousId, owner));
  if (previous.status === 'queued' || previous.status === 'in_progress') {
    throw new InvalidRequestError(`Previous response with id '${previousId}' has not finished yet.`, 'previous_response_id', 'previous_response_in_progress');
  }
  const stored = record.body as StoredResponse;
  return [...stored.context, ...stored.input, ...(previous.output as ConversationItem[])];
}

export interface InputItemsQuery {
  limit: number;
  order: 'asc' | 'desc';
  after?: string;
}

/** The items a response was generated from (earlier turns included), paged as OpenAI pages lists. */
export async function listInputItems(deps: ApiDeps, id: string, owner: string, query: InputItemsQuery) {
  const stored = (await readResponseRecord(deps, id, owner)).body as StoredResponse;
  const items = [...stored.context, ...stored.input];
  if (query.order === 'desc') items.reverse();
  let start = 0;
  if (query.after !== undefined) {
    start = items.findIndex((item) => item.id === query.after) + 1;
    if (start === 0) throw new InvalidRequestError(`No input item found with id '${query.after}'.`, 'after', 'invalid_value');
  }
  const data = items.slice(start, start + query.limit);
  return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + query.limit < items.length };
}
