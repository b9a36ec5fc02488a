import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Credentials, wherever a log call puts request headers. */
const CREDENTIAL_PATHS = ['authorization', 'cookie', 'x-api-key'].flatMap((header) => [
  `headers.${header}`,
  `*.headers.${header}`,
  `*.*.headers.${header}`,
  `headers["${header}"]`,
  `*.headers["${header}"]`,
]);
/** Prompt text: chat messages, legacy prompts and suffixes, top level or up to two objects down. */
const PROMPT_PATHS = ['messages', 'prompt', 'suffix', 'input'].flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
  `*.inputs[*].${field}`,
  `inputs[*].${field}`,
]);

/**
 * JSON logger for every Spool process. `Authorization` (and cookies, API keys) are always redacted;
 * prompt text is redacted unless `logPrompts` is set (LOG_PROMPTS=true).
 */
export function createLogger(options: { name: string; level?: string; logPrompts?: boolean; destination?: DestinationStream }): Logger {
  // An engine's API key (a vLLM or upstream `apiKey` option, VLLM_API_KEY in a spawned env) too.
  const secrets = ['apiKey', 'api_key', 'VLLM_API_KEY'].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  const redact = [...CREDENTIAL_PATHS, 'authorization', '*.authorization', ...secrets];
  if (!options.logPrompts) redact.push(...PROMPT_PATHS);
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      redact: { paths: redact, censor: '[redacted]' },
      base: { service: options.name },
    },
    options.destination,
  );
}
