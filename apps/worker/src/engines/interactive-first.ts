import type { BatchItem, CustomBatchingPrioritizationStrategy, EvaluationPriority, PrioritizedBatchItem } from 'node-llama-cpp';
import { isBatchPriority, PRIORITY } from '@spool/shared';

/** node-llama-cpp's evaluation priority of a job's queue priority: batch lines lowest, async in between. */
export function evaluationPriorityOf(queuePriority: number | undefined): EvaluationPriority {
  if (queuePriority === undefined || queuePriority < PRIORITY.async) return 5;
  return isBatchPriority(queuePriority) ? 1 : 3;
}

/** Shares `size` tokens among `items` as evenly as their lengths allow. */
function share(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
  const chosen = items.map((item) => ({ item, processAmount: 0 }));
  let left = size;
  let open = chosen.filter((entry) => entry.item.tokens.length > 0);
  while (left > 0 && open.length > 0) {
    const each = Math.max(1, Math.floor(left / open.length));
    for (const entry of open) {
      const amount = Math.min(each, entry.item.tokens.length - entry.processAmount, left);
      entry.processAmount += amount;
      left -= amount;
      if (left === 0) break;
    }
    open = open.filter((entry) => entry.processAmount < entry.item.tokens.length);
  }
  return chosen.filter((entry) => entry.processAmount > 0);
}

/**
 * Decode-batch composition that keeps interactive latency while batch lines run: when a sequence of
 * the highest priority present is still reading its prompt, the step carries only that priority's
 * sequences, so the prompt (and so the first token) does not wait behind a full batch of
 * lower-priority decodes. Every other step carries every sequence. Items left out stay queued for
 * the next step.
 */
export const interactiveFirst: CustomBatchingPrioritizationStrategy = ({ items, size }) => {
  if (items.length === 0) return [];
  let top = items[0]!.evaluationPriority;
  let bottom = top;
  for (const item of items) {
    top = Math.max(top, item.evaluationPriority) as EvaluationPriority;
    bottom = Math.min(bottom, item.evaluationPriority) as EvaluationPriority;
  }
  const promptWaiting = top > bottom && items.some((item) => item.evaluationPriority === top && item.tokens.length > 1);
  return share(promptWaiting ? items.filter((item) => item.evaluationPriority === top) : items, size);
};
