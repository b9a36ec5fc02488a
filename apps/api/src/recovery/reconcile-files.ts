import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '@spool/shared';
import type { FileSidecar, FileStore } from '../files/file-store.js';
import { bytesAt, quietFor, type ReconcileItem } from './reconcile-item.js';

const readSidecar = (path: string) =>
  readFile(path, 'utf8').then(
    (text) => JSON.parse(text) as FileSidecar,
    () => undefined,
  );

/**
 * Matches the files folder with Redis: a file whose record is gone comes back from its sidecar; bytes
 * with neither (a crash between writing and recording, a delete cut short) and stale scratch files go.
 * Sidecars of another deployment (another Redis prefix sharing the folder) are left alone.
 */
export async function reconcileFiles(config: Config, files: FileStore, graceMs: number, note: (item: ReconcileItem) => void): Promise<void> {
  const directory = join(config.SPOOL_DATA_DIR, 'files');
  const names = await readdir(directory).catch(() => [] as string[]);
  const described = new Set<string>();
  for (const name of names.filter((entry) => entry.endsWith('.json') && !entry.startsWith('.'))) {
    const id = name.slice(0, -'.json'.length);
    described.add(id);
    const sidecar = await readSidecar(join(directory, name));
    if (!sidecar || sidecar.prefix !== config.REDIS_PREFIX) continue;
    if (
      await files.get(id).then(
        () => true,
        () => false,
      )
    )
      continue;
    const { prefix: _prefix, ...file } = sidecar;
    const path = join(directory, id);
    if (!(await stat(path).catch(() => undefined))) {
      await rm(join(directory, name), { force: true });
      note({ kind: 'file', id, action: 'removed', reason: 'metadata without bytes', bytes: 0 });
      continue;
    }
    await files.restore({ ...file, path });
    note({ kind: 'file', id, action: 'restored', reason: 'Redis record lost; rebuilt from its sidecar', bytes: await bytesAt(path) });
  }
  for (const name of names) {
    const path = join(directory, name);
    if (name.startsWith('.') && name.endsWith('.tmp')) {
      if (!(await quietFor(path, graceMs))) continue;
      const bytes = await bytesAt(path);
      await rm(path, { force: true });
      note({ kind: 'scratch', id: name, action: 'removed', reason: 'scratch file left by a crash', bytes });
      continue;
    }
    if (name.endsWith('.json') || name.startsWith('.') || described.has(name)) continue;
    const recorded = await files.get(name).catch(() => undefined);
    if (recorded) {
      // Stored by a version without sidecars: write one now, so a later loss can restore it.
      await files.restore(recorded);
      continue;
    }
    if (!(await quietFor(path, graceMs))) continue;
    const bytes = await bytesAt(path);
    await rm(path, { force: true });
    note({ kind: 'file', id: name, action: 'removed', reason: 'bytes without a Redis record or a sidecar', bytes });
  }
}
