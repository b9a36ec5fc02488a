import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '@spool/api';
import { ConfigError, createLogger, loadConfig } from '@spool/shared';
import { AUDIENCE, ISSUER, SECRET, sign, validClaims } from './helpers/jwt-fixtures.js';
import { startSpool, testEnv, type Spool } from './helpers/spool-harness.js';

const ALLOWED = 'https://app.example.com';

describe('CORS', () => {
  let spool: Spool;
  let closed: Spool;

  beforeAll(async () => {
    const auth = { AUTH_DISABLED: 'false', JWT_SECRET_KEY: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE };
    [spool, closed] = await Promise.all([startSpool({ ...auth, CORS_ORIGINS: `${ALLOWED}, https://admin.example.com` }), startSpool(auth)]);
  });
  afterAll(async () => {
    await Promise.all([spool?.close(), closed?.close()]);
  });

  const preflight = (target: Spool, origin: string) =>
    fetch(`${target.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  it('answers a preflight from a listed origin, without a token, allowing credentials', async () => {
    const response = await preflight(spool, ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  });

  it('answers a preflight from any other origin with no CORS headers, so the browser refuses it', async () => {
    for (const [target, origin] of [
      [spool, 'https://evil.example'],
      [spool, `${ALLOWED}.evil.example`],
      [closed, ALLOWED],
    ] as const) {
      const response = await preflight(target, origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('marks real responses for a listed origin and exposes the rate-limit headers', async () => {
    const response = await fetch(`${spool.url}/v1/models`, { headers: { origin: ALLOWED, authorization: `Bearer ${sign(validClaims())}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-expose-headers')).toMatch(/x-ratelimit-remaining-requests/);
    expect(response.headers.get('vary')).toMatch(/Origin/i);
    const foreign = await fetch(`${spool.url}/v1/models`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${sign(validClaims())}` } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('start-up', () => {
  const quiet = createLogger({ name: 'test', level: 'silent' });

  it('refuses to start without a key unless AUTH_DISABLED=true', async () => {
    const config = loadConfig(testEnv({ AUTH_DISABLED: 'false' }), '/nonexistent/.env');
    await expect(startApi(config, quiet)).rejects.toBeInstanceOf(ConfigError);
    await expect(startApi(config, quiet)).rejects.toThrow(/JWT_SECRET_KEY/);
  });

  it('refuses a secret shorter than 32 characters and a public key that is not PEM', async () => {
    await expect(startApi(loadConfig(testEnv({ AUTH_DISABLED: 'false', JWT_SECRET_KEY: 'short' }), '/x'), quiet)).rejects.toThrow(/at least 32/);
    await expect(startApi(loadConfig(testEnv({ AUTH_DISABLED: 'false', JWT_PUBLIC_KEY: 'not a key' }), '/x'), quiet)).rejects.toThrow(/PEM/);
  });

  it('warns when it serves without auth on purpose', async () => {
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', level: 'silent' });
    logger.warn = ((message: string) => {
      lines.push(String(message));
    }) as typeof logger.warn;
    const config = loadConfig(testEnv({ AUTH_DISABLED: 'true' }), '/x');
    const api = await startApi(config, logger);
    await api.close();
    expect(lines.some((line) => line.includes('AUTH_DISABLED=true'))).toBe(true);
  });
});
