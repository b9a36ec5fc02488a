import { z } from 'zod';

const flag = z.union([z.boolean(), z.string()]).transform((value) => value === true || /^(1|true|yes|on)$/i.test(String(value)));
/** A limit where 0 turns the limit off. */
const limit = z.coerce.number().int().nonnegative();

/** Settings of auth, rate limits, request sanitization and CORS (see docs/security.md). */
export const securitySettings = {
  /** HMAC secret for HS256/384/512 tokens (at least 32 characters). */
  JWT_SECRET_KEY: z.string().optional(),
  /** PEM public key (RSA or EC) for RS256/ES256 tokens; literal `\n` sequences are read as newlines. */
  JWT_PUBLIC_KEY: z.string().optional(),
  /** A JWKS endpoint for RS256/ES256 tokens; keys are cached and refetched on an unknown `kid`. */
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  JWT_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
  /** Serve without tokens: every request is the anonymous principal with every scope. */
  AUTH_DISABLED: flag.default(false),
  /** Browser origins allowed by CORS, comma-separated; empty allows none. */
  CORS_ORIGINS: z.string().default(''),
  /** Express `trust proxy`: false, true, a hop count, or comma-separated addresses/subnets. */
  TRUST_PROXY: z.string().default('false'),

  /** Requests per minute per token `sub` (a token's `rpm` claim overrides); 0 = no limit. */
  RATE_LIMIT_RPM: limit.default(600),
  /** Tokens (prompt + max completion, corrected to real usage) per minute per `sub`; 0 = no limit. */
  RATE_LIMIT_TPM: limit.default(200_000),
  /** Requests per minute per client IP, before authentication; 0 = no limit. */
  RATE_LIMIT_IP_RPM: limit.default(1200),
  /** Failed authentications per minute per client IP before the IP is refused; 0 = no limit. */
  RATE_LIMIT_AUTH_FAILURES: limit.default(20),

  /** Deepest nesting of arrays and objects in a JSON body. */
  MAX_JSON_DEPTH: z.coerce.number().int().min(2).max(1000).default(32),
  MAX_MESSAGES: z.coerce.number().int().positive().default(1024),
  /** Characters in one message's content (or one legacy prompt). */
  MAX_MESSAGE_CHARS: z.coerce.number().int().positive().default(200_000),
  /** Characters in all messages (or prompts) of one request. */
  MAX_PROMPT_CHARS: z.coerce.number().int().positive().default(500_000),
};
