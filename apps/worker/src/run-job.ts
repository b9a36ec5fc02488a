import {
  addToAnswer,
  emptyAnswer,
  type Engine,
  type GenerationEvent,
  type GenerationJob,
  type GenerationRequest,
  type GenerationResult,
  type TokenUsage,
  type ToolCallResult,
} from '@spool/shared';
import type { EventPublisher } from './event-publisher.js';

/**
 * Runs every input of a job on the engine at once, publishing each event tagged with its choice.
 * Returns the final result that is stored on the BullMQ job.
 */
export async function runJob(
  engine: Engine,
  publisher: EventPublisher,
  jobId: string,
  attempt: number,
  job: GenerationJob,
  signal: AbortSignal,
): Promise<GenerationResult> {
  const choices = await Promise.all(
    job.inputs.map(async (input, choice) => {
      if (input.maxTokens === 0) return countOnly(engine, input, (event) => publisher.publish(jobId, attempt, { ...event, choice }));
      const answer = emptyAnswer();
      for await (const event of engine.generate(input, signal)) {
        addToAnswer(answer, event);
        publisher.publish(jobId, attempt, { ...event, choice });
        if (event.type === 'end')
          return { text: answer.text, toolCalls: answer.toolCalls, finishReason: event.finishReason, usage: event.usage, logprobs: answer.logprobs };
      }
      throw new Error('The engine ended a generation without an end event.');
    }),
  );
  const usage: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  for (const { usage: part } of choices) {
    // Choices of one chat prompt share it: count the prompt once, as OpenAI does for n > 1.
    usage.prompt_tokens = job.inputs.length > 1 && job.inputs[0]!.kind === 'chat' ? part.prompt_tokens : usage.prompt_tokens + part.prompt_tokens;
    usage.completion_tokens += part.completion_tokens;
  }
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  return {
    choices: choices.map(({ text, toolCalls, finishReason, logprobs }) => ({
      text,
      finishReason,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(logprobs ? { logprobs } : {}),
    })),
    usage,
  };
}

/** `maxTokens: 0` asks for the prompt's token count only (e.g. the `count_tokens` function): nothing is decoded. */
async function countOnly(engine: Engine, input: GenerationRequest, publish: (event: GenerationEvent) => void) {
  const promptTokens = await engine.countPromptTokens(input);
  const usage = { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens };
  publish({ type: 'end', finishReason: 'length', usage });
  return { text: '', toolCalls: [] as ToolCallResult[], finishReason: 'length' as const, usage, logprobs: undefined };
}
