import type { GenerationJob } from '@spool/shared';
import { chatMessagesOf, inputItemsOf } from '../responses/conversation.js';
import { responseJob } from '../responses/response-job.js';
import { chatJob, completionJob, type JobTarget } from '../translate.js';
import type { BatchRequestLine } from './input-lines.js';

/** The generation job of a batch line, made as its synchronous route makes it. */
export function lineJob(request: BatchRequestLine, target: JobTarget): GenerationJob {
  switch (request.endpoint) {
    case '/v1/chat/completions':
      return chatJob(request.body, target);
    case '/v1/completions':
      return completionJob(request.body, target);
    case '/v1/responses':
      return responseJob(request.body, chatMessagesOf(request.body.instructions, inputItemsOf(request.body, 'line')), target);
  }
}
