import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const run = promisify(execFile);

describe('spool batch (command line)', () => {
  let spool: Spool;
  let worker: InProcessWorker;
  const spoolCli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'bin/spool.ts', 'batch', ...args], {
      env: { ...process.env, SPOOL_URL: spool.url, LOG_LEVEL: 'silent' },
      timeout: 50_000,
    });

  beforeAll(async () => {
    spool = await startSpool({ SPOOL_DATA_DIR: `/tmp/spool-test-${process.pid}-${Date.now()}` });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  it('submits a file of prompts, waits with progress, shows status and downloads the answers', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'spool-cli-'));
    const input = join(directory, 'prompts.txt');
    await writeFile(
      input,
      [
        'Once upon a time',
        'The cat sat',
        JSON.stringify({
          custom_id: 'mine',
          method: 'POST',
          url: '/v1/chat/completions',
          body: { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 },
        }),
      ].join('\n') + '\n',
    );

    const submitted = await spoolCli('submit', input, '--model', MODEL, '--max-tokens', '8', '--wait');
    const batchId = submitted.stdout.trim();
    expect(batchId).toMatch(/^batch_/);
    expect(submitted.stderr).toContain('100% 3/3');
    expect(submitted.stderr).toContain('completed');

    const status = JSON.parse((await spoolCli('status', batchId)).stdout);
    expect(status).toMatchObject({ id: batchId, status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 } });

    const out = join(directory, 'out.jsonl');
    await spoolCli('download', batchId, '--out', out);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.custom_id).sort()).toEqual(['line-1', 'line-2', 'mine']);
    for (const line of lines) {
      expect(line.response.body.model).toBe(MODEL);
      expect(line.response.body.usage.completion_tokens).toBeLessThanOrEqual(8);
    }
  });

  it('exits non-zero with the line numbers when the file fails validation', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'spool-cli-'));
    const input = join(directory, 'bad.jsonl');
    await writeFile(input, `${JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { messages: [] } })}\n`);
    const failure = await spoolCli('submit', input, '--model', MODEL, '--wait').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('line 1:');
    expect(failure?.stderr).toContain('failed');
  });
});
