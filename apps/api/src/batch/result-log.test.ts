import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failedLine } from './line-result.js';
import { openResultLog, partialPaths } from './result-log.js';

const line = (customId: string) => failedLine(customId, 'x', 'y');

describe('batch result log', () => {
  it('reads back what a previous coordinator recorded and skips a line torn by a crash', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'spool-log-'));
    const first = await openResultLog(directory);
    first.record(line('a'), true);
    first.record(line('b'), false);
    await first.close();
    // A crash while appending 'c': half a line, no newline.
    await appendFile(partialPaths(directory).output, '{"id":"batch_req_1","custom_id":"c","resp');

    const second = await openResultLog(directory);
    expect([...second.done].sort()).toEqual(['a', 'b']);
    expect(second.counts).toEqual({ completed: 1, failed: 1 });
    second.record(line('c'), true);
    await second.close();
    const output = (await readFile(partialPaths(directory).output, 'utf8')).split('\n');
    // The torn line stays, but the next append starts on a fresh line and parses.
    expect(JSON.parse(output.at(-2)!).custom_id).toBe('c');
  });
});
