import type { Redis } from 'ioredis';
import type { JobEvent } from '@spool/shared';

/**
 * One subscriber connection shared by every request of this API process; each job's channel is
 * subscribed before its job is enqueued, so no event can be missed.
 */
export interface JobChannels {
  listen(channel: string, onEvents: (events: JobEvent[]) => void): Promise<() => Promise<void>>;
}

export function createJobChannels(subscriber: Redis): JobChannels {
  const listeners = new Map<string, (events: JobEvent[]) => void>();
  subscriber.on('message', (channel: string, message: string) => {
    listeners.get(channel)?.(JSON.parse(message) as JobEvent[]);
  });
  return {
    async listen(channel, onEvents) {
      listeners.set(channel, onEvents);
      await subscriber.subscribe(channel).catch((error: unknown) => {
        listeners.delete(channel);
        throw error;
      });
      return async () => {
        listeners.delete(channel);
        await subscriber.unsubscribe(channel);
      };
    },
  };
}
