import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { SpoolError, type ChatCompletionRequest, type ChatMessage, type TokenUsage, type ToolCallResult } from '@spool/shared';
import type { ApiDeps } from '../deps.js';
import { chatFormat } from '../respond/formats.js';
import { createChoiceAnswers } from '../respond/choice-answers.js';
import { jobOutput, type JobOutput } from '../respond/job-output.js';
import { relay } from '../respond/relay.js';
import { resolveModel } from '../resolve-model.js';
import { chatJob } from '../translate.js';

/** One call Spool ran for the client, as reported in `spool_tool_calls`. */
export interface ExecutedCall {
  round: number;
  id: string;
  name: string;
  arguments: string;
  result?: unknown;
  error?: { message: string; code: string | null };
}

/** Reads one round to its end; a worker re-run (`reset`) discards what came before it. */
async function collect(output: AsyncIterable<JobOutput>) {
  let parts: JobOutput[] = [];
  const answers = createChoiceAnswers(1);
  let usage: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  for await (const part of output) {
    answers.add(part);
    if (part.type === 'reset') parts = [];
    else parts.push(part);
    if (part.type === 'done') usage = part.usage;
  }
  const [answer] = answers.choices;
  return { parts, calls: answer!.toolCalls, text: answer!.text, finishReason: answer!.finishReason, usage };
}

async function runCall(deps: ApiDeps, call: ToolCallResult): Promise<Pick<ExecutedCall, 'result' | 'error'>> {
  try {
    return { result: await deps.functions.registry.call(call.name, JSON.parse(call.arguments)) };
  } catch (error) {
    if (error instanceof SpoolError) return { error: { message: error.message, code: error.code } };
    return { error: { message: error instanceof SyntaxError ? 'The arguments are not valid JSON.' : 'The function failed.', code: null } };
  }
}

/**
 * `spool_execute_tools: true`: while the model calls registry functions, Spool runs them, appends
 * the calls and their results to the conversation and asks again, up to FUNCTIONS_MAX_ROUNDS rounds;
 * the last round may not call tools, so the answer ends in text. A call of a function the registry
 * does not have ends the loop and goes to the client as usual. The answer carries `spool_tool_calls`.
 */
export function executeToolsHandler(deps: ApiDeps, parse: (body: unknown) => ChatCompletionRequest) {
  return async function executeTools(req: Request, res: Response): Promise<void> {
    const body = parse(req.body);
    const { spec, contextLength } = resolveModel(deps, body.model);
    res.locals.model = spec.id;
    const stream = req.path.endsWith('/stream') || body.stream === true;
    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const clientGone = new AbortController();
    res.on('close', () => clientGone.abort());
    const messages: ChatMessage[] = [...body.messages];
    const executed: ExecutedCall[] = [];
    const total: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    const maxRounds = deps.config.FUNCTIONS_MAX_ROUNDS;

    for (let round = 0; ; round += 1) {
      // After a forced first call, the model chooses; after the last allowed round, it must answer.
      const forced = body.tool_choice === 'required' || typeof body.tool_choice === 'object' || typeof body.function_call === 'object';
      const choice = round >= maxRounds ? 'none' : round > 0 && forced ? 'auto' : undefined;
      const roundBody: ChatCompletionRequest = {
        ...body,
        messages,
        ...(choice ? (body.functions ? { function_call: choice } : { tool_choice: choice }) : {}),
      };
      const job = chatJob(roundBody, { requestId: res.locals.requestId, model: spec.id, contextLength, stream, maxQueueWaitMs: deps.config.MAX_QUEUE_WAIT_MS });
      const answer = await collect(jobOutput(deps.jobs.submit(`${id}-${round}`, job, { signal: clientGone.signal })));
      for (const key of ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const) total[key] += answer.usage[key];
      const runnable = answer.finishReason === 'tool_calls' && answer.calls.length > 0 && answer.calls.every((call) => deps.functions.registry.get(call.name));
      if (!runnable || clientGone.signal.aborted) {
        const replay = async function* (): AsyncIterable<JobOutput> {
          for (const part of answer.parts) yield part.type === 'done' ? { ...part, usage: total } : part;
        };
        const format = chatFormat({ id, model: body.model, created: Math.floor(Date.now() / 1000) });
        const final = format.final;
        format.final = (choices, usage) => ({ ...final(choices, usage), spool_tool_calls: executed });
        await relay(res, replay(), format, {
          stream,
          includeUsage: body.stream_options?.include_usage === true,
          choices: 1,
          startedAt: res.locals.startedAt,
          stallMs: deps.config.SSE_STALL_TIMEOUT_MS,
        });
        return;
      }
      messages.push({
        role: 'assistant',
        content: answer.text || null,
        tool_calls: answer.calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
      });
      for (const call of answer.calls) {
        const outcome = await runCall(deps, call);
        executed.push({ round, ...call, ...outcome });
        messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(outcome.error ? { error: outcome.error.message } : outcome.result) });
      }
    }
  };
}
