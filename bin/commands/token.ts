import { parseArgs } from 'node:util';
import type { Algorithm } from 'jsonwebtoken';
import { mintToken } from '@spool/api';
import { loadConfig } from '@spool/shared';

const USAGE = `Usage: spool token create --sub SUBJECT [--scope "generate batch functions admin"] [--ttl 30d]
                          [--models id1,id2] [--rpm N] [--tpm N] [--alg HS256|HS384|HS512]
Signs a JWT with JWT_SECRET_KEY (and JWT_ISSUER / JWT_AUDIENCE when set) and prints it alone on stdout.`;

const positive = (name: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`--${name} must be a positive whole number.`);
  return Number(value);
};

/** `spool token create`: mints a token for a user or a service. */
export async function run(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  if (action !== 'create') throw new Error(USAGE);
  const { values } = parseArgs({
    args: rest,
    options: {
      sub: { type: 'string' },
      scope: { type: 'string', default: 'generate' },
      ttl: { type: 'string', default: '30d' },
      models: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      alg: { type: 'string', default: 'HS256' },
    },
  });
  if (!values.sub) throw new Error(`--sub is required.\n${USAGE}`);
  if (!/^(\d+|\d+(\.\d+)?\s*(ms|s|m|h|d|w|y))$/i.test(values.ttl)) throw new Error('--ttl must be seconds or a duration such as 30d, 12h, 15m.');
  const token = mintToken(loadConfig(), {
    sub: values.sub,
    scope: values.scope,
    ttl: values.ttl,
    models: values.models
      ?.split(',')
      .map((model) => model.trim())
      .filter(Boolean),
    rpm: positive('rpm', values.rpm),
    tpm: positive('tpm', values.tpm),
    algorithm: values.alg as Algorithm,
  });
  process.stdout.write(`${token}\n`);
}
