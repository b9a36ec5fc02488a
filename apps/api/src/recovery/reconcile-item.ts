import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** One thing the start-up reconcile did: logged as one JSON line. */
export interface ReconcileItem {
  kind: 'file' | 'batch' | 'scratch';
  id: string;
  action: 'restored' | 'removed';
  reason: string;
  /** Bytes on disk it kept (restored) or freed (removed). */
  bytes: number;
}

/** Bytes under a path (a file, or a folder's files one level down: all a batch folder holds). */
export async function bytesAt(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  const entries = await readdir(path).catch(() => []);
  const sizes = await Promise.all(
    entries.map((name) =>
      stat(join(path, name)).then(
        (entry) => entry.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

/**
 * Whether nothing at `path` (or in it, one level down) changed for `graceMs`: bytes without a record
 * younger than that may be an upload or a batch that another replica sharing the data folder is
 * writing right now.
 */
export async function quietFor(path: string, graceMs: number): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return false;
  let newest = info.mtimeMs;
  if (info.isDirectory()) {
    for (const name of await readdir(path).catch(() => []))
      newest = Math.max(
        newest,
        await stat(join(path, name)).then(
          (entry) => entry.mtimeMs,
          () => 0,
        ),
      );
  }
  return Date.now() - newest >= graceMs;
}
