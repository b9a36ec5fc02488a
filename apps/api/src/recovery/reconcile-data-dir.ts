import type { Redis } from 'ioredis';
import type { Config, Logger } from '@spool/shared';
import { batchQueueOf } from '../batch/batch-queue.js';
import { createBatchStore } from '../batch/batch-store.js';
import { createFileStore } from '../files/file-store.js';
import { reconcileBatches } from './reconcile-batches.js';
import { reconcileFiles } from './reconcile-files.js';
import type { ReconcileItem } from './reconcile-item.js';

/**
 * Run at API start: after Redis lost data (a restart without persistence, a flush, a new Redis),
 * files and batches on disk would otherwise sit there unseen, their bytes orphaned. Restores what
 * the disk holds enough to rebuild and removes the rest; one JSON log line per item, then a summary.
 * Safe on every replica at once: restoring writes the same record twice, removing twice is a no-op.
 */
export async function reconcileDataDir(deps: { redis: Redis; config: Config; logger: Logger }): Promise<ReconcileItem[]> {
  const { redis, config, logger } = deps;
  const graceMs = config.DATA_RECONCILE_GRACE_S * 1000;
  const items: ReconcileItem[] = [];
  const note = (item: ReconcileItem) => {
    items.push(item);
    logger.warn({ reconcile: item }, `data reconcile: ${item.kind} ${item.id} ${item.action} (${item.reason})`);
  };
  const files = createFileStore(redis, config);
  const queue = batchQueueOf(redis, config);
  try {
    await reconcileFiles(config, files, graceMs, note);
    await reconcileBatches(config, createBatchStore(redis, config), files, queue, graceMs, note);
  } finally {
    await queue.close();
  }
  const count = (kind: ReconcileItem['kind'], action: ReconcileItem['action']) => items.filter((item) => item.kind === kind && item.action === action).length;
  const summary = {
    restoredFiles: count('file', 'restored'),
    restoredBatches: count('batch', 'restored'),
    removedFiles: count('file', 'removed'),
    removedBatches: count('batch', 'removed'),
    removedScratch: count('scratch', 'removed'),
    freedBytes: items.filter((item) => item.action === 'removed').reduce((sum, item) => sum + item.bytes, 0),
  };
  logger.info({ reconcileSummary: summary }, 'data reconcile done');
  return items;
}
