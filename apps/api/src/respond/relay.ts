import type { Response } from 'express';
import { SpoolError, type TokenUsage } from '@spool/shared';
import { createChoiceAnswers } from './choice-answers.js';
import type { ChoiceDelta, ResponseFormat } from './formats.js';
import type { JobOutput } from './job-output.js';
import { createSseWriter } from './sse.js';

export interface RelayOptions {
  stream: boolean;
  includeUsage: boolean;
  choices: number;
  /** Request start, for time to first token. */
  startedAt: number;
  /** A stream whose client takes nothing for this long is ended (SSE_STALL_TIMEOUT_MS). */
  stallMs: number;
}

const workerLost = () =>
  new SpoolError(500, 'The worker serving this stream stopped after sending part of it; retry the request.', 'server_error', 'worker_lost');

/**
 * Builds the answer from a job's output: SSE chunks as they come, or one JSON body at the end. The
 * two share this one path so a stream's concatenated deltas always equal the non-streamed answer.
 * Errors before the first byte propagate (the error handler answers them with their status);
 * after it, they go out as an SSE `error` event and the stream closes. A stream waits for its
 * client to read (see SseWriter), which also slows the reading of the job's output.
 */
export async function relay(
  res: Response,
  output: AsyncIterable<JobOutput> | Iterable<JobOutput>,
  format: ResponseFormat,
  options: RelayOptions,
): Promise<void> {
  const answers = createChoiceAnswers(options.choices);
  res.locals.choices = options.choices;
  // Only a stream has a writer: a JSON answer goes out once, at the end (and skipping the writer
  // keeps a non-streamed answer as cheap as before it existed: bench:cache's L1 hits, ~70 µs each).
  const sse = options.stream ? createSseWriter(res, { stallMs: options.stallMs }) : undefined;
  const usageField = options.includeUsage ? null : undefined;
  const emit = async (choice: number, delta: ChoiceDelta) => {
    if (!sse) return;
    if (!sse.opened && format.roleChunk) {
      for (let index = 0; index < options.choices; index += 1) await sse.send({ data: format.chunk(index, { kind: 'role' }, usageField) });
    }
    await sse.send({ data: format.chunk(choice, delta, usageField) });
  };

  try {
    for await (const part of output) {
      if (part.type === 'text' || part.type === 'tool-call') {
        // Token times for the request log: time to first token and, from the last, inter-token latency.
        const now = Date.now();
        if (res.locals.ttftMs === undefined) res.locals.ttftMs = now - options.startedAt;
        res.locals.lastTokenAt = now;
        // Counted as they come, so the log line of a stream the client abandons still says what was generated.
        res.locals.streamedTokens = (res.locals.streamedTokens ?? 0) + (part.tokens ?? 1);
      }
      if (part.type === 'reset' && sse?.opened) throw workerLost();
      answers.add(part);
      switch (part.type) {
        case 'reset':
          res.locals.streamedTokens = 0;
          break;
        case 'text':
          await emit(part.choice, { kind: 'text', text: part.text, logprobs: part.logprobs });
          break;
        case 'tool-call':
          await emit(part.choice, { kind: 'tool-call', index: part.index, id: part.id, name: part.name, arguments: part.arguments });
          break;
        case 'choice-end':
          await emit(part.choice, { kind: 'finish', finishReason: part.finishReason });
          break;
        case 'done':
          res.locals.usage = part.usage;
          return await finish(part.usage);
      }
    }
  } catch (error) {
    if (!sse?.opened) throw error;
    await sse.fail(error instanceof SpoolError ? error : workerLost());
  }

  async function finish(usage: TokenUsage): Promise<void> {
    if (!sse) {
      res.json(format.final(answers.choices, usage));
      return;
    }
    if (options.includeUsage) await sse.send({ data: format.usageChunk(usage) });
    await sse.send({ data: '[DONE]' });
    sse.end();
  }
}
