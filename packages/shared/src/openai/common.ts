import { z } from 'zod';

/** `stop`: a string or up to 4 strings, as OpenAI accepts. */
export const stopSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).max(4)])
  .nullish()
  .transform((stop) => (stop == null ? [] : typeof stop === 'string' ? [stop] : stop));

/** Sampling fields shared by chat and legacy completions. */
export const samplingFields = {
  model: z.string().min(1).max(256),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  n: z.number().int().min(1).max(16).nullish(),
  stop: stopSchema,
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string().regex(/^\d+$/, 'logit_bias keys are token ids'), z.number().min(-100).max(100)).nullish(),
  /** vLLM's extras, honoured on vLLM models only (a 400 elsewhere; see SAMPLING_EXTRAS). */
  top_k: z.number().int().min(-1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  user: z.string().max(256).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
};

export const usageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});
export type Usage = z.infer<typeof usageSchema>;

/** OpenAI's finish reasons; an engine's own (vLLM's `repetition`, say) passes through as itself. */
export const knownFinishReasons = ['stop', 'length', 'tool_calls', 'content_filter'] as const;
export const finishReasonSchema = z.union([z.enum(knownFinishReasons), z.string().regex(/^[a-z_]{1,64}$/)]);
export type FinishReason = (typeof knownFinishReasons)[number] | (string & {});
