import { endpointsByPath } from '../respond/endpoints.js';
import type { ResponseFormat } from '../respond/formats.js';
import type { JobRecord } from './job-record.js';

/** The chunks and final body of a job's endpoint, exactly as the synchronous call shapes them. */
export function formatOf(record: JobRecord): ResponseFormat {
  const meta = { id: record.completionId, model: record.requestedModel, created: record.created };
  // The body was parsed by this same endpoint when the job was made.
  return endpointsByPath[record.endpoint].format(meta, record.body as never);
}
