import { z } from 'zod';

const bytes = z.coerce.number().int().nonnegative();
const seconds = z.coerce.number().int().positive();

/** Settings of the three-level response cache (apps/api/src/cache). */
export const cacheSettings = {
  /** deterministic: only reproducible requests (temperature 0 or a seed); all: every request; off. */
  CACHE_POLICY: z.enum(['deterministic', 'all', 'off']).default('deterministic'),
  /** principal: entries are private to the token's `sub`; global: shared by every caller. */
  CACHE_SCOPE: z.enum(['principal', 'global']).default('principal'),
  CACHE_L1_MAX_BYTES: bytes.default(64 * 1024 * 1024),
  CACHE_L1_TTL_S: seconds.default(300),
  /** Redis for L2; empty means REDIS_URL. */
  CACHE_L2_URL: z.string().url().optional(),
  CACHE_L2_TTL_S: seconds.default(3600),
  /** An L2 call slower than this counts as a miss, so a sick Redis never slows a hit from L3. */
  CACHE_L2_TIMEOUT_MS: z.coerce.number().int().positive().default(250),
  CACHE_L3_MAX_BYTES: bytes.default(1024 * 1024 * 1024),
  CACHE_L3_TTL_S: seconds.default(7 * 24 * 3600),
  CACHE_L3_SWEEP_S: seconds.default(60),
  /** Values at least this large are stored Brotli-compressed. */
  CACHE_COMPRESS_MIN_BYTES: bytes.default(1024),
  /** Larger results are not cached. */
  CACHE_MAX_ENTRY_BYTES: bytes.default(4 * 1024 * 1024),
  /** How long other replicas wait on an identical generation in flight elsewhere before running their own. */
  CACHE_LOCK_MS: z.coerce.number().int().nonnegative().default(30_000),
};
