import { Queue } from 'bullmq';
import { redisNames } from '@spool/shared';
import type { ApiDeps } from '../deps.js';

export interface WatchedQueue {
  /** The model it serves, or another label (`batch`). */
  label: string;
  queue: Queue;
}

export interface QueueCounts {
  queue: string;
  label: string;
  /** Waiting and prioritized jobs: both wait for a worker. */
  waiting: number;
  active: number;
  delayed: number;
}

/** The BullMQ queues the operator watches (metrics, dashboard, board): one per model, plus any added. */
export interface QueueSet {
  list(): WatchedQueue[];
  /** Adds a queue (the batch API adds its coordinator queue); listeners such as the board pick it up. */
  add(label: string, queueName: string): void;
  onAdd(listener: (queue: WatchedQueue) => void): void;
  counts(): Promise<QueueCounts[]>;
  close(): Promise<void>;
}

const sets = new WeakMap<ApiDeps, QueueSet>();

/** One QueueSet per set of deps, so the metrics, the dashboard and the board share its queues. */
export function queueSetOf(deps: ApiDeps): QueueSet {
  let set = sets.get(deps);
  if (!set) {
    set = createQueueSet(deps);
    sets.set(deps, set);
  }
  return set;
}

export async function closeQueueSet(deps: ApiDeps): Promise<void> {
  await sets.get(deps)?.close();
  sets.delete(deps);
}

function createQueueSet(deps: ApiDeps): QueueSet {
  const names = redisNames(deps.config.REDIS_PREFIX);
  const watched: WatchedQueue[] = [];
  const listeners: ((queue: WatchedQueue) => void)[] = [];
  const add = (label: string, queueName: string) => {
    if (watched.some((entry) => entry.queue.name === queueName)) return;
    const entry = { label, queue: new Queue(queueName, { connection: deps.redis, prefix: deps.config.REDIS_PREFIX }) };
    // The connection's own listener logs an outage; without one, BullMQ prints the error as plain text.
    entry.queue.on('error', () => undefined);
    watched.push(entry);
    for (const listener of listeners) listener(entry);
  };
  for (const spec of deps.models) add(spec.id, names.queue(spec.id));
  return {
    list: () => [...watched],
    add,
    onAdd: (listener) => void listeners.push(listener),
    counts: () =>
      Promise.all(
        watched.map(async ({ label, queue }) => {
          const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed');
          return {
            queue: queue.name,
            label,
            waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
          };
        }),
      ),
    async close() {
      await Promise.all(watched.map((entry) => entry.queue.close()));
    },
  };
}
