import { Gauge, type Registry } from 'prom-client';
import type { ApiDeps } from '../deps.js';
import { queueSetOf } from '../queue/queue-set.js';

const registered = new WeakSet<Registry>();

/**
 * Gauges read at scrape time, so they cost nothing between scrapes: BullMQ job counts per queue,
 * worker slots and engine memory from the heartbeats, and batch lines from the batch API's hook.
 */
export function registerLiveGauges(deps: ApiDeps): void {
  const registry = deps.metrics.prometheus.registry;
  if (registered.has(registry)) return;
  registered.add(registry);
  const registers = [registry];
  new Gauge({
    name: 'spool_queue_jobs',
    help: 'Jobs in a BullMQ queue by state (waiting includes prioritized).',
    labelNames: ['queue', 'model', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const counts of await queueSetOf(deps).counts()) {
        for (const state of ['waiting', 'active', 'delayed'] as const) this.set({ queue: counts.queue, model: counts.label, state }, counts[state]);
      }
    },
  });
  const workerGauge = (name: string, help: string, value: (worker: ReturnType<ApiDeps['registry']['workers']>[number]) => number, extra: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames: ['worker', 'model', ...extra],
      registers,
      collect() {
        this.reset();
        for (const worker of deps.registry.workers()) {
          const labels: Record<string, string> = { worker: worker.workerId, model: worker.model };
          if (extra.includes('kind')) labels.kind = worker.memoryKind;
          if (extra.includes('gpus')) labels.gpus = worker.gpus.join(',');
          this.set(labels, value(worker));
        }
      },
    });
  workerGauge('spool_worker_slots', 'Generation slots of a live worker.', (worker) => worker.slots);
  workerGauge('spool_worker_slots_busy', 'Slots generating right now on a live worker.', (worker) => worker.busySlots);
  workerGauge('spool_worker_engine_memory_bytes', 'Memory the engine holds (VRAM on a GPU, else RAM).', (worker) => worker.memoryBytes, ['kind']);
  workerGauge('spool_worker_info', 'A live worker, with its GPUs; always 1.', () => 1, ['gpus']);
  new Gauge({
    name: 'spool_batch_lines',
    help: 'Lines of the known batches by state (pending, completed, failed).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const totals = { pending: 0, completed: 0, failed: 0 };
      for (const batch of await deps.metrics.batches()) {
        totals.completed += batch.completed;
        totals.failed += batch.failed;
        totals.pending += Math.max(0, batch.total - batch.completed - batch.failed);
      }
      for (const [state, value] of Object.entries(totals)) this.set({ state }, value);
    },
  });
}
