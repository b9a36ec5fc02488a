import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines } from './input-lines.js';
import type { OutputLine } from './line-result.js';

/**
 * The append-only record of a batch's finished lines: one partial file for answers, one for errors,
 * on disk under the data directory. A line is appended before its custom_id counts as done, so a
 * coordinator that dies loses nothing: the next one reads the files back, re-runs only what they
 * lack, and finalize drops any custom_id written twice (a crash between append and bookkeeping).
 */
export interface ResultLog {
  readonly done: Set<string>;
  readonly counts: { completed: number; failed: number };
  record(line: OutputLine, ok: boolean): void;
  /** Writes what was recorded; resolves with how many of each kind it wrote. */
  flush(): Promise<{ completed: number; failed: number }>;
  close(): Promise<void>;
}

export const partialPaths = (directory: string) => ({ output: join(directory, 'output.partial.jsonl'), errors: join(directory, 'errors.partial.jsonl') });

/** Reads a partial file back: the custom_ids it holds (a torn last line is ignored, and re-run). */
async function recover(path: string, done: Set<string>): Promise<number> {
  const size = await stat(path).then(
    (stats) => stats.size,
    () => -1,
  );
  if (size <= 0) return 0;
  let count = 0;
  for await (const { text } of readLines(createReadStream(path))) {
    try {
      const customId = (JSON.parse(text) as OutputLine).custom_id;
      if (!done.has(customId)) count += 1;
      done.add(customId);
    } catch {
      // A line cut short by a crash.
    }
  }
  // Start the next append on a fresh line, after a torn one.
  const handle = await open(path, 'r+');
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] !== 10) await handle.write('\n', size);
  await handle.close();
  return count;
}

export async function openResultLog(directory: string): Promise<ResultLog> {
  await mkdir(directory, { recursive: true });
  const paths = partialPaths(directory);
  const done = new Set<string>();
  const counts = { completed: await recover(paths.output, done), failed: 0 };
  counts.failed = await recover(paths.errors, done);
  const output = createWriteStream(paths.output, { flags: 'a' });
  const errors = createWriteStream(paths.errors, { flags: 'a' });
  let buffered = { output: [] as string[], errors: [] as string[] };

  // Resolves once the lines reached the file, not just Node's buffer.
  const write = (stream: NodeJS.WritableStream, lines: string[]) =>
    lines.length === 0
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => stream.write(lines.join(''), (error) => (error ? reject(error) : resolve())));

  async function flush() {
    const batch = buffered;
    buffered = { output: [], errors: [] };
    await Promise.all([write(output, batch.output), write(errors, batch.errors)]);
    return { completed: batch.output.length, failed: batch.errors.length };
  }

  return {
    done,
    counts,
    record(line, ok) {
      (ok ? buffered.output : buffered.errors).push(`${JSON.stringify(line)}\n`);
      done.add(line.custom_id);
      if (ok) counts.completed += 1;
      else counts.failed += 1;
    },
    flush,
    async close() {
      await flush();
      await Promise.all([new Promise((resolve) => output.end(resolve)), new Promise((resolve) => errors.end(resolve))]);
    },
  };
}
