import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt, { type Algorithm } from 'jsonwebtoken';

export const SECRET = randomBytes(32).toString('hex');
export const ISSUER = 'https://issuer.spool.test';
export const AUDIENCE = 'spool-api';

export const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

export interface Claims {
  sub?: string;
  scope?: string;
  models?: string[];
  rpm?: number;
  tpm?: number;
  iss?: string;
  aud?: string;
  exp?: number;
  nbf?: number;
  [claim: string]: unknown;
}

const now = () => Math.floor(Date.now() / 1000);

/** Claims of a valid token for the test issuer and audience, an hour long, with `generate`. */
export const validClaims = (extra: Claims = {}): Claims => ({ sub: 'alice', scope: 'generate', iss: ISSUER, aud: AUDIENCE, exp: now() + 3600, ...extra });

/** Signs claims as given (no defaults added by the library). */
export function sign(claims: Claims, key: KeyObject | string = SECRET, algorithm: Algorithm = 'HS256', kid?: string): string {
  return jwt.sign(claims, key, { algorithm, noTimestamp: true, ...(kid ? { keyid: kid } : {}) });
}

const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An unsigned `alg: none` token. */
export const unsignedToken = (claims: Claims) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;

/** A token whose payload was swapped after signing: the signature no longer matches. */
export function tamperedToken(token: string, claims: Claims): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64(claims)}.${signature}`;
}

/** A token whose header `alg` was rewritten after signing. */
export function retaggedToken(token: string, alg: string): string {
  const [header, payload, signature] = token.split('.');
  const decoded = JSON.parse(Buffer.from(header!, 'base64url').toString()) as object;
  return `${b64({ ...decoded, alg })}.${payload}.${signature}`;
}

/** Serves a JWKS with the given public keys (by kid) on a local port; counts fetches. */
export async function serveJwks(keys: Record<string, KeyObject>): Promise<{ url: string; fetches: () => number; close(): Promise<void> }> {
  let fetches = 0;
  const body = JSON.stringify({
    keys: Object.entries(keys).map(([kid, key]) => ({
      ...key.export({ format: 'jwk' }),
      kid,
      use: 'sig',
      alg: key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256',
    })),
  });
  const server: Server = createServer((_req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: () => fetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
