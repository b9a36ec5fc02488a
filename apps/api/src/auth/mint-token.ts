import jwt, { type Algorithm } from 'jsonwebtoken';
import { SCOPES, type Config } from '@spool/shared';
import { HMAC_ALGORITHMS } from './jwt-verifier.js';

export interface TokenRequest {
  sub: string;
  /** Space-separated scopes. */
  scope: string;
  /** Lifetime: seconds, or a duration such as `30d`, `12h`, `15m`. */
  ttl: string | number;
  models?: string[];
  rpm?: number;
  tpm?: number;
  algorithm?: Algorithm;
}

/** Signs a token with JWT_SECRET_KEY, with the configured issuer and audience. */
export function mintToken(config: Pick<Config, 'JWT_SECRET_KEY' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>, request: TokenRequest): string {
  if (!config.JWT_SECRET_KEY)
    throw new Error('Minting a token needs JWT_SECRET_KEY (tokens for JWT_PUBLIC_KEY or JWT_JWKS_URL come from your identity provider).');
  if (config.JWT_SECRET_KEY.length < 32) throw new Error('JWT_SECRET_KEY must be at least 32 characters (try: openssl rand -hex 32).');
  const algorithm = request.algorithm ?? 'HS256';
  if (!HMAC_ALGORITHMS.includes(algorithm)) throw new Error(`--alg must be one of ${HMAC_ALGORITHMS.join(', ')}.`);
  const unknown = request.scope.split(' ').filter((scope) => scope && !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) throw new Error(`Unknown scope(s): ${unknown.join(', ')}. Scopes: ${SCOPES.join(', ')}.`);
  const ttl = /^\d+$/.test(String(request.ttl)) ? Number(request.ttl) : String(request.ttl);
  const claims = {
    scope: request.scope.split(' ').filter(Boolean).join(' '),
    ...(request.models ? { models: request.models } : {}),
    ...(request.rpm ? { rpm: request.rpm } : {}),
    ...(request.tpm ? { tpm: request.tpm } : {}),
  };
  return jwt.sign(claims, config.JWT_SECRET_KEY, {
    algorithm,
    subject: request.sub,
    expiresIn: ttl as jwt.SignOptions['expiresIn'],
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
  });
}
