import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileStore, StoredFile } from '../files/file-store.js';
import type { BatchRecord } from './batch-store.js';
import { finalizeFiles } from './finalize.js';
import { partialPaths } from './result-log.js';

describe('finalizeFiles', () => {
  it('writes each custom_id once, answers winning over errors', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'spool-final-'));
    const paths = partialPaths(directory);
    const entry = (customId: string, ok: boolean) =>
      JSON.stringify({ id: 'r', custom_id: customId, response: ok ? { status_code: 200 } : null, error: ok ? null : { code: 'x' } });
    await writeFile(paths.output, [entry('a', true), entry('b', true), entry('a', true), '{"torn'].join('\n') + '\n');
    await writeFile(paths.errors, [entry('b', false), entry('c', false)].join('\n') + '\n');
    const adopted: Record<string, string> = {};
    const files = {
      scratchPath: async (name: string) => join(directory, `${name}.tmp`),
      adopt: async (_owner: string, filename: string, _purpose: string, path: string, id: string) => {
        adopted[filename] = await readFile(path, 'utf8');
        return { id } as StoredFile;
      },
      discard: async () => undefined,
    } as unknown as FileStore;
    const result = await finalizeFiles(files, { id: 'batch_1', owner: 'me' } as BatchRecord, directory);
    expect(result.completed).toBe(2);
    expect(result.failed).toBe(1);
    expect(result.output_file_id).toMatch(/^file-/);
    const ids = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).custom_id);
    expect(ids(adopted['batch_1_output.jsonl']!)).toEqual(['a', 'b']);
    expect(ids(adopted['batch_1_error.jsonl']!)).toEqual(['c']);
  });
});
