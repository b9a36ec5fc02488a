import { spoolErrorFromBody, type FinishReason, type JobEvent, type TokenLogprob, type TokenUsage } from '@spool/shared';

/** What a route needs from a job's events, with worker attempts and errors already resolved. */
export type JobOutput =
  /** `tokens`: generated tokens the piece holds (one where the engine did not say). */
  | { type: 'text'; choice: number; text: string; tokens?: number; logprobs?: TokenLogprob[] }
  | { type: 'tool-call'; choice: number; index: number; id?: string; name?: string; arguments: string; tokens?: number }
  | { type: 'choice-end'; choice: number; finishReason: FinishReason }
  /** A worker died and another re-runs the job from the start: discard what came before. */
  | { type: 'reset' }
  | { type: 'done'; usage: TokenUsage; embeddings?: number[][] };

/** Turns a job's raw events into output; an `error` event is thrown as the SpoolError it carries. */
export async function* jobOutput(events: AsyncIterable<JobEvent>): AsyncIterable<JobOutput> {
  let attempt = 0;
  for await (const event of events) {
    if (event.attempt < attempt) continue;
    if (event.attempt > attempt) {
      if (attempt > 0) yield { type: 'reset' };
      attempt = event.attempt;
    }
    switch (event.type) {
      case 'text-delta':
        yield { type: 'text', choice: event.choice, text: event.text, tokens: event.tokens, ...(event.logprobs ? { logprobs: event.logprobs } : {}) };
        break;
      case 'tool-call-delta':
        yield { type: 'tool-call', choice: event.choice, index: event.index, id: event.id, name: event.name, arguments: event.arguments, tokens: event.tokens };
        break;
      case 'end':
        yield { type: 'choice-end', choice: event.choice, finishReason: event.finishReason };
        break;
      case 'done':
        yield { type: 'done', usage: event.usage, ...(event.embeddings ? { embeddings: event.embeddings } : {}) };
        return;
      case 'error':
        throw spoolErrorFromBody(event.status, event.error);
    }
  }
}
