import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { QueueSet } from '../queue/queue-set.js';

const require = createRequire(import.meta.url);

/**
 * The board's page template without its Google Fonts link, so the board loads nothing from outside
 * (it falls back to system fonts) and works offline like the rest of Spool.
 */
function offlineViews(): string {
  const template = readFileSync(join(dirname(require.resolve('@bull-board/ui/package.json')), 'dist', 'index.ejs'), 'utf8');
  const directory = join(tmpdir(), 'spool-bull-board-views');
  mkdirSync(directory, { recursive: true });
  // Written aside and renamed, so another Spool process never reads a half-written template.
  const partial = join(directory, `index.ejs.${process.pid}`);
  writeFileSync(partial, template.replace(/<link[^>]*fonts\.googleapis\.com[^>]*>/g, ''));
  renameSync(partial, join(directory, 'index.ejs'));
  return directory;
}

/** The BullMQ board (@bull-board) over the watched queues, as an Express sub-app for `basePath`. */
export function createQueueBoard(queues: QueueSet, basePath: string) {
  const serverAdapter = new ExpressAdapter().setBasePath(basePath);
  const board = createBullBoard({ queues: queues.list().map((entry) => new BullMQAdapter(entry.queue)), serverAdapter });
  queues.onAdd((entry) => board.addQueue(new BullMQAdapter(entry.queue)));
  serverAdapter.setViewsPath(offlineViews());
  return serverAdapter.getRouter() as (req: unknown, res: unknown, next: unknown) => void;
}
