import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@spool/shared';
import { createJwtVerifier } from './jwt-verifier.js';

const secret = 's'.repeat(40);
const settings = { JWT_SECRET_KEY: secret, JWT_CLOCK_TOLERANCE_S: 0 };
const now = () => Math.floor(Date.now() / 1000);

describe('createJwtVerifier', () => {
  it('refuses a short secret and a key that is not PEM at start', () => {
    expect(() => createJwtVerifier({ ...settings, JWT_SECRET_KEY: 'short' })).toThrow(ConfigError);
    expect(() => createJwtVerifier({ JWT_PUBLIC_KEY: 'nope', JWT_CLOCK_TOLERANCE_S: 0 })).toThrow(ConfigError);
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => createJwtVerifier({ JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(), JWT_CLOCK_TOLERANCE_S: 0 })).toThrow(
      /RSA or EC/,
    );
  });

  it('reads a PEM whose newlines were written as \\n in a one-line env value', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const oneLine = publicKey.export({ type: 'spki', format: 'pem' }).toString().replaceAll('\n', '\\n');
    const verify = createJwtVerifier({ JWT_PUBLIC_KEY: oneLine, JWT_CLOCK_TOLERANCE_S: 0 });
    await expect(verify(jwt.sign({ sub: 'a', exp: now() + 60 }, privateKey, { algorithm: 'ES256' }))).resolves.toMatchObject({ sub: 'a' });
  });

  it('stops accepting a remembered token once it expires', async () => {
    const verify = createJwtVerifier(settings);
    const token = jwt.sign({ sub: 'a', scope: 'generate', exp: now() + 1 }, secret);
    await expect(verify(token)).resolves.toMatchObject({ sub: 'a', scopes: ['generate'] });
    await expect(verify(token)).resolves.toMatchObject({ sub: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await expect(verify(token)).rejects.toMatchObject({ status: 401, code: 'token_expired' });
  });

  it('never remembers a token that failed', async () => {
    const verify = createJwtVerifier(settings);
    // Two seconds ahead: with one, a second boundary passing between signing and checking made it valid already.
    const early = jwt.sign({ sub: 'a', exp: now() + 60, nbf: now() + 2 }, secret);
    await expect(verify(early)).rejects.toMatchObject({ code: 'token_not_yet_valid' });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await expect(verify(early)).resolves.toMatchObject({ sub: 'a' });
  });
});
