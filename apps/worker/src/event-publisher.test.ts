import { describe, expect, it } from 'vitest';
import { redisNames, type JobEvent } from '@spool/shared';
import { createEventPublisher } from './event-publisher.js';

/** Records what a Redis pipeline would publish (through the fenced write); no network. */
function recordingRedis() {
  const messages: { channel: string; events: JobEvent[]; at: number }[] = [];
  const redis = {
    defineCommand: () => undefined,
    pipeline() {
      const batch: { channel: string; events: JobEvent[] }[] = [];
      return {
        spoolFencedWrite(_lock: string, channel: string, _log: string, _record: string, _token: string, message: string) {
          batch.push({ channel, events: JSON.parse(message) as JobEvent[] });
        },
        async exec() {
          for (const item of batch) messages.push({ ...item, at: Date.now() });
          return batch.map(() => [null, 1]);
        },
      };
    },
  };
  return { redis: redis as never, messages };
}

describe('event publisher', () => {
  it('sends the first token at the next tick and merges later deltas', async () => {
    const { redis, messages } = recordingRedis();
    const publisher = createEventPublisher(redis, redisNames('t'), { coalesceMs: 30 });
    publisher.publish('j', 1, { type: 'text-delta', choice: 0, text: 'Once' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.events).toEqual([{ type: 'text-delta', choice: 0, text: 'Once', seq: 0, attempt: 1 }]);
    publisher.publish('j', 1, { type: 'text-delta', choice: 0, text: ' upon' });
    publisher.publish('j', 1, { type: 'text-delta', choice: 0, text: ' a' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(messages).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(messages[1]!.events).toEqual([{ type: 'text-delta', choice: 0, text: ' upon a', seq: 1, attempt: 1 }]);
  });

  it('sends end events at once, in order, with consecutive sequence numbers', async () => {
    const { redis, messages } = recordingRedis();
    const publisher = createEventPublisher(redis, redisNames('t'), { coalesceMs: 1000 });
    publisher.publish('j', 2, { type: 'text-delta', choice: 0, text: 'a' });
    await new Promise((resolve) => setImmediate(resolve));
    publisher.publish('j', 2, { type: 'text-delta', choice: 0, text: 'b' });
    publisher.publish('j', 2, { type: 'end', choice: 0, finishReason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
    await publisher.flush();
    const events = messages.flatMap((message) => message.events);
    expect(events.map((event) => [event.type, event.seq])).toEqual([
      ['text-delta', 0],
      ['text-delta', 1],
      ['end', 2],
    ]);
    expect(messages.every((message) => message.channel === 't:job:j')).toBe(true);
  });
});
