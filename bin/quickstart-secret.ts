import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@spool/shared';

/**
 * The all-in-one quickstart needs no setting yet keeps auth on: where no JWT key is configured (and
 * auth is not disabled on purpose), it uses a random secret kept in the data directory (created once,
 * readable by its owner only). `spool api` on its own still refuses to start without a key.
 */
export function quickstartSecret(config: Config): { env: Record<string, string>; path?: string } {
  if (config.AUTH_DISABLED || config.JWT_SECRET_KEY || config.JWT_PUBLIC_KEY || config.JWT_JWKS_URL) return { env: {} };
  const path = join(config.SPOOL_DATA_DIR, 'quickstart-jwt-secret');
  if (!existsSync(path)) {
    mkdirSync(config.SPOOL_DATA_DIR, { recursive: true });
    writeFileSync(path, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return { env: { JWT_SECRET_KEY: readFileSync(path, 'utf8').trim() }, path };
}
