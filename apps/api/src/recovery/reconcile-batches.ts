import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Config } from '@spool/shared';
import { addBatchJob } from '../batch/batch-queue.js';
import { batchSidecarPath, type BatchSidecar, type BatchStore } from '../batch/batch-store.js';
import type { FileStore } from '../files/file-store.js';
import { bytesAt, quietFor, type ReconcileItem } from './reconcile-item.js';

/**
 * Matches the folders of running batches with Redis. A batch whose record is gone is created again
 * from its sidecar, as `validating`, and handed to the coordinators, which resume it from its partial
 * results (its line jobs, lost with Redis, are added again). Without a sidecar or an input file it
 * cannot run again, and its folder goes.
 */
export async function reconcileBatches(
  config: Config,
  store: BatchStore,
  files: FileStore,
  queue: Queue,
  graceMs: number,
  note: (item: ReconcileItem) => void,
): Promise<void> {
  const root = join(config.SPOOL_DATA_DIR, 'batches');
  const ids = await readdir(root).catch(() => [] as string[]);
  for (const id of ids) {
    const directory = join(root, id);
    const sidecar = await readFile(batchSidecarPath(directory), 'utf8').then(
      (text) => JSON.parse(text) as BatchSidecar,
      () => undefined,
    );
    if (sidecar && sidecar.prefix !== config.REDIS_PREFIX) continue;
    if (
      await store.get(id).then(
        () => true,
        () => false,
      )
    )
      continue;
    const input = sidecar && (await files.get(sidecar.input_file_id).catch(() => undefined));
    if (!sidecar || !input) {
      if (!(await quietFor(directory, graceMs))) continue;
      const bytes = await bytesAt(directory);
      await rm(directory, { recursive: true, force: true });
      note({
        kind: 'batch',
        id,
        action: 'removed',
        reason: sidecar ? 'Redis record and input file lost' : 'partial results without a Redis record or a sidecar',
        bytes,
      });
      continue;
    }
    const { prefix: _prefix, ...created } = sidecar;
    await store.restore({ ...created, status: 'validating', total: 0, completed: 0, failed: 0 });
    await addBatchJob(queue, id);
    note({
      kind: 'batch',
      id,
      action: 'restored',
      reason: 'Redis record lost; rebuilt from its sidecar, resumes from its partial results',
      bytes: await bytesAt(directory),
    });
  }
}
