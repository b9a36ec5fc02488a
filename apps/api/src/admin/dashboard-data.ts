import type { ApiDeps } from '../deps.js';
import { queueSetOf } from '../queue/queue-set.js';

const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** What the dashboard shows, read from this replica's history, BullMQ and the worker heartbeats. */
export async function dashboardData(deps: ApiDeps) {
  const { history } = deps.metrics;
  const [queues, batches] = await Promise.all([queueSetOf(deps).counts(), deps.metrics.batches()]);
  const cache = history.cacheCounts();
  const lookups = Object.values(cache).reduce((sum, count) => sum + count, 0);
  return {
    at: Date.now(),
    rates: history.rates(10),
    ttft: history.ttft(),
    cache: {
      counts: cache,
      hitRatio: {
        l1: ratio(cache['hit-l1']!, lookups),
        l2: ratio(cache['hit-l2']!, lookups),
        l3: ratio(cache['hit-l3']!, lookups),
        total: ratio(lookups - cache.miss!, lookups),
      },
    },
    queues,
    workers: deps.registry.workers().map((worker) => ({
      workerId: worker.workerId,
      model: worker.model,
      engine: worker.engine,
      gpus: worker.gpus,
      slots: worker.slots,
      busySlots: worker.busySlots,
      waiting: worker.waiting,
      memoryBytes: worker.memoryBytes,
      memoryKind: worker.memoryKind,
      seenAt: worker.seenAt,
    })),
    batches: batches.filter((batch) => batch.completed + batch.failed < batch.total),
    errors: history.recentErrors(),
    series: history.series(),
  };
}
