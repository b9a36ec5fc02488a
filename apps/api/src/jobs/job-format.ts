import type { ResponseFormat } from '../respond/formats.js';
import { chat } from '../routes/chat-completions.js';
import { completions } from '../routes/completions.js';
import type { JobRecord } from './job-record.js';

/** The chunks and final body of a job's endpoint, exactly as the synchronous call shapes them. */
export function formatOf(record: JobRecord): ResponseFormat {
  const meta = { id: record.completionId, model: record.requestedModel, created: record.created };
  // Looked up at call time: the route modules import this one's importers (an import cycle).
  return record.endpoint === '/v1/chat/completions'
    ? chat.format(meta, record.body as Parameters<typeof chat.format>[1])
    : completions.format(meta, record.body as Parameters<typeof completions.format>[1]);
}
