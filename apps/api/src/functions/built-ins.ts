import { InvalidRequestError } from '@spool/shared';
import { evaluateArithmetic } from './calculate.js';
import type { SpoolFunction } from './registry.js';

const getCurrentTime: SpoolFunction = {
  name: 'get_current_time',
  description: 'The current date and time in an IANA time zone (UTC when none is given).',
  parameters: {
    type: 'object',
    properties: { timezone: { type: 'string', maxLength: 64, description: 'An IANA time zone such as Europe/Paris.' } },
    additionalProperties: false,
  },
  handler(args) {
    const timezone = (args.timezone as string | undefined) ?? 'UTC';
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-CA', {
        timeZone: timezone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'longOffset',
      });
    } catch {
      throw new InvalidRequestError(`Unknown time zone '${timezone}'.`, 'timezone', 'invalid_arguments');
    }
    const now = new Date();
    const parts = Object.fromEntries(format.formatToParts(now).map((part) => [part.type, part.value]));
    const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', '');
    return {
      timezone: format.resolvedOptions().timeZone,
      datetime: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`,
      utc_offset: offset,
      unix: Math.floor(now.getTime() / 1000),
    };
  },
};

const calculate: SpoolFunction = {
  name: 'calculate',
  description: 'Evaluates an arithmetic expression: + - * / % ^, parentheses, pi, e, sqrt, abs, round, floor, ceil, sin, cos, tan, ln, log, exp, min, max.',
  parameters: {
    type: 'object',
    properties: { expression: { type: 'string', minLength: 1, maxLength: 256, description: 'For example (2 + 3) * 4.' } },
    required: ['expression'],
    additionalProperties: false,
  },
  handler: (args) => ({ expression: args.expression, value: evaluateArithmetic(args.expression as string) }),
};

const countTokens: SpoolFunction = {
  name: 'count_tokens',
  description: "Counts the tokens of a text with a model's tokenizer (as a completion prompt, so including any start token).",
  parameters: {
    type: 'object',
    properties: { text: { type: 'string', maxLength: 100_000 }, model: { type: 'string', minLength: 1, maxLength: 256 } },
    required: ['text', 'model'],
    additionalProperties: false,
  },
  timeoutMs: 30_000,
  async handler(args, context) {
    return { model: args.model, tokens: await context.countTokens(args.model as string, args.text as string) };
  },
};

export const builtInFunctions: SpoolFunction[] = [getCurrentTime, calculate, countTokens];
