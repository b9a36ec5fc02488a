import { z } from 'zod';

/** How the API's request path talks to Redis (packages/shared/src/redis-connection.ts). */
export const redisSettings = {
  /**
   * A request-path Redis command still unanswered after this fails, and its request gets 503. While
   * Redis is unreachable commands fail at once; this bounds a Redis that accepts but does not answer.
   */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().positive().default(1000),
};
