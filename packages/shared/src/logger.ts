import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logger for every Spool process. `Authorization` headers are always redacted; prompt text is
 * dropped unless `logPrompts` is set.
 */
export function createLogger(options: { name: string; level?: string; logPrompts?: boolean }): Logger {
  const redact = ['req.headers.authorization', 'headers.authorization', '*.authorization'];
  if (!options.logPrompts) redact.push('prompt', 'messages', '*.prompt', '*.messages');
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: redact, censor: '[redacted]' },
    base: { service: options.name },
  });
}
