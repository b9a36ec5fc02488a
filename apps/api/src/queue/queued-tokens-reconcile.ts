import type { ApiDeps } from '../deps.js';
import { createQueuedTokens } from './queued-tokens.js';
import { queueSetOf } from './queue-set.js';

/**
 * Every QUEUED_TOKENS_RECONCILE_MS (and once at start), recomputes each model's queued-token counter
 * from its queue, so whatever a crash left counted (an admit whose add never ran, a removal whose
 * release was lost) cannot refuse work for longer than that. The script is atomic and idempotent:
 * every replica may run it. Returns a function that stops the timer.
 */
export function startQueuedTokensReconcile(deps: ApiDeps): () => void {
  const { config, logger } = deps;
  if (config.QUEUED_TOKENS_RECONCILE_MS === 0) return () => undefined;
  const tokens = createQueuedTokens(deps.redis, config);
  const models = new Set(deps.models.map((spec) => spec.id));
  let running = false;

  async function reconcileAll(): Promise<void> {
    if (running) return;
    running = true;
    try {
      for (const { label, queue } of queueSetOf(deps).list()) {
        if (!models.has(label)) continue;
        const result = await tokens.reconcile(queue, label);
        if (result.before !== result.after || result.dropped > 0 || result.adopted > 0) logger.warn(result, 'queued-token counter reconciled');
      }
    } catch (error) {
      logger.warn({ err: error }, 'queued-token reconcile failed; the next one retries');
    } finally {
      running = false;
    }
  }

  void reconcileAll();
  const timer = setInterval(() => void reconcileAll(), config.QUEUED_TOKENS_RECONCILE_MS);
  timer.unref();
  return () => clearInterval(timer);
}
