import { Redis } from 'ioredis';

/**
 * Connections open on a Redis whose CLIENT LIST name starts with `namePrefix` (Spool names its
 * connections after REDIS_PREFIX), so a test on the shared Redis counts only its own.
 */
export async function countClients(redisUrl: string, namePrefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const list = (await redis.client('LIST')) as string;
    return list.split('\n').filter((line) => / name=(\S+)/.exec(line)?.[1]?.startsWith(namePrefix)).length;
  } finally {
    redis.disconnect();
  }
}
