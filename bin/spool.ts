#!/usr/bin/env -S npx tsx
/**
 * The `spool` command line. Each subcommand lives in ./commands/<name>.ts and exports `run(argv)`.
 *   spool start            API + one worker on the embedded default (starts a private Redis if needed)
 *   spool api              the API tier alone
 *   spool worker [--model ID] [--gpus 0,1]   one worker pinned to those GPUs (or WORKER_MODEL, WORKER_GPUS)
 *   spool token create --sub S --scope "generate" --ttl 30d   mint a JWT with JWT_SECRET_KEY
 *   spool batch submit|status|download        the Batch API client (see docs/batch.md)
 */
import { ConfigError } from '@spool/shared';

const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<void> }>> = {
  start: () => import('./commands/start.js'),
  api: () => import('./commands/api.js'),
  worker: () => import('./commands/worker.js'),
  token: () => import('./commands/token.js'),
  batch: () => import('./commands/batch.js'),
};

const [name = 'start', ...argv] = process.argv.slice(2);
const load = commands[name];
if (!load) {
  console.error(`Unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}`);
  process.exit(2);
}
try {
  await (await load()).run(argv);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error));
  process.exit(1);
}
