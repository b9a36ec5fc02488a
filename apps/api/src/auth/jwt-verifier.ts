import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm, type JwtPayload } from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import { LRUCache } from 'lru-cache';
import { AuthenticationError, ConfigError, UnavailableError, type Config, type Principal } from '@spool/shared';
import { principalFromClaims } from './claims.js';

export const HMAC_ALGORITHMS: Algorithm[] = ['HS256', 'HS384', 'HS512'];
const RSA_ALGORITHMS: Algorithm[] = ['RS256', 'RS384', 'RS512'];
const EC_ALGORITHMS: Algorithm[] = ['ES256', 'ES384', 'ES512'];
const MIN_SECRET_LENGTH = 32;

/** Turns a bearer token into the principal it names, or throws a 401. */
export type JwtVerifier = ((token: string) => Promise<Principal>) & {
  /** The principal of a token verified lately, without waiting: the common case, answered synchronously. */
  known(token: string): Principal | undefined;
};

type Settings = Pick<Config, 'JWT_SECRET_KEY' | 'JWT_PUBLIC_KEY' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_CLOCK_TOLERANCE_S'>;

function publicKeyOf(pem: string): { key: KeyObject; algorithms: Algorithm[] } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem.replaceAll('\\n', '\n'));
  } catch {
    throw new ConfigError('JWT_PUBLIC_KEY is not a PEM public key.');
  }
  if (key.asymmetricKeyType === 'rsa') return { key, algorithms: RSA_ALGORITHMS };
  if (key.asymmetricKeyType === 'ec') return { key, algorithms: EC_ALGORITHMS };
  throw new ConfigError(`JWT_PUBLIC_KEY must be an RSA or EC key, not ${key.asymmetricKeyType}.`);
}

/** True when at least one way of verifying tokens is configured. */
export const hasVerificationKey = (config: Settings) => Boolean(config.JWT_SECRET_KEY || config.JWT_PUBLIC_KEY || config.JWT_JWKS_URL);

/**
 * Builds the verifier from the configured keys. The algorithm family is chosen from the token's
 * header but the key from our config: an HS token is only ever checked with the secret and an
 * RS/ES token only with a public key, so a public key can never serve as an HMAC secret (the
 * classic algorithm confusion), and `alg: none` matches no family at all.
 */
export function createJwtVerifier(config: Settings): JwtVerifier {
  const secret = config.JWT_SECRET_KEY;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`JWT_SECRET_KEY must be at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -hex 32).`);
  }
  // A KeyObject, made once: given a string, jsonwebtoken first tries it as a PEM public key on every
  // call and pays for OpenSSL's exception (about 1 ms), which was most of a cheap request's time.
  const secretKey = secret ? createSecretKey(Buffer.from(secret)) : undefined;
  const publicKey = config.JWT_PUBLIC_KEY ? publicKeyOf(config.JWT_PUBLIC_KEY) : undefined;
  const jwks = config.JWT_JWKS_URL
    ? jwksRsa({ jwksUri: config.JWT_JWKS_URL, cache: true, cacheMaxAge: 10 * 60_000, rateLimit: true, jwksRequestsPerMinute: 10, timeout: 5_000 })
    : undefined;
  const options = {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    clockTolerance: config.JWT_CLOCK_TOLERANCE_S,
  };

  async function keyFor(alg: string, kid: string | undefined): Promise<{ key: KeyObject; algorithms: Algorithm[] }> {
    if ((HMAC_ALGORITHMS as string[]).includes(alg)) {
      if (secretKey) return { key: secretKey, algorithms: HMAC_ALGORITHMS };
    } else if (publicKey?.algorithms.includes(alg as Algorithm)) {
      return publicKey;
    } else if (jwks && [...RSA_ALGORITHMS, ...EC_ALGORITHMS].includes(alg as Algorithm)) {
      try {
        const signingKey = await jwks.getSigningKey(kid);
        return { key: createPublicKey(signingKey.getPublicKey()), algorithms: [...RSA_ALGORITHMS, ...EC_ALGORITHMS] };
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'SigningKeyNotFoundError' || name === 'JwksRateLimitError') {
          throw new AuthenticationError('The token was signed with a key this server does not know.', 'invalid_token');
        }
        throw new UnavailableError('The key set that verifies tokens cannot be fetched; retry shortly.', 'auth_unavailable', 5);
      }
    }
    throw new AuthenticationError(`Tokens signed with '${alg}' are not accepted here.`, 'invalid_token');
  }

  // Clients send the same token on every request: a verified token's principal is kept for at most a
  // minute, never past its `exp` (+ tolerance), which saves the signature check (most of auth's CPU).
  const verified = new LRUCache<string, Principal>({ max: 10_000 });

  async function verify(token: string): Promise<Principal> {
    const known = verified.get(token);
    if (known) return known;
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new AuthenticationError('The bearer token is not a JWT.', 'invalid_token');
    const { key, algorithms } = await keyFor(String(decoded.header.alg), decoded.header.kid);
    let claims: JwtPayload;
    try {
      claims = jwt.verify(token, key, { ...options, algorithms }) as JwtPayload;
    } catch (error) {
      throw verifyError(error as Error);
    }
    if (typeof claims.exp !== 'number') throw new AuthenticationError('The token has no `exp` claim; Spool accepts only expiring tokens.', 'invalid_token');
    const principal = principalFromClaims(claims);
    const ttl = Math.min(60_000, (claims.exp + options.clockTolerance) * 1000 - Date.now());
    if (ttl > 0) verified.set(token, principal, { ttl });
    return principal;
  }
  return Object.assign(verify, { known: (token: string) => verified.get(token) });
}

function verifyError(error: Error): AuthenticationError {
  if (error.name === 'TokenExpiredError') return new AuthenticationError('The token has expired.', 'token_expired');
  if (error.name === 'NotBeforeError') return new AuthenticationError('The token is not valid yet.', 'token_not_yet_valid');
  // jsonwebtoken's messages ("invalid signature", "jwt issuer invalid. expected: x") are fine to
  // show, less the expected value, which tells a guesser what to forge.
  return new AuthenticationError(`The token is invalid: ${error.message.replace(/\. expected:.*$/s, '')}.`, 'invalid_token');
}
