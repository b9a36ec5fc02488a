import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(logPrompts: boolean, level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', level, logPrompts, destination }) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createLogger', () => {
  it('redacts Authorization wherever the headers are, and prompt text, by default', async () => {
    const { lines, logger } = capture(false);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer secret-1', cookie: 'spool=secret-2', accept: 'application/json' } },
        headers: { authorization: 'Bearer secret-3' },
        body: { model: 'm', messages: [{ role: 'user', content: 'my secret prompt' }] },
        job: { inputs: [{ kind: 'completion', prompt: 'another secret prompt' }] },
        prompt: 'top-level secret prompt',
      },
      'request',
    );
    await flush();
    const text = JSON.stringify(lines[0]);
    expect(text).not.toMatch(/secret/);
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' } },
      headers: { authorization: '[redacted]' },
      body: { model: 'm', messages: '[redacted]' },
      prompt: '[redacted]',
    });
  });

  it('keeps prompt text when LOG_PROMPTS is on, but never the Authorization header', async () => {
    const { lines, logger } = capture(true);
    logger.info({ req: { headers: { authorization: 'Bearer secret' } }, body: { messages: [{ role: 'user', content: 'visible prompt' }] } });
    await flush();
    expect(JSON.stringify(lines[0])).toContain('visible prompt');
    expect(JSON.stringify(lines[0])).not.toContain('Bearer secret');
  });

  it('writes nothing below LOG_LEVEL', async () => {
    const { lines, logger } = capture(false, 'warn');
    logger.info('hidden');
    logger.warn('shown');
    await flush();
    expect(lines.map((line) => line.msg)).toEqual(['shown']);
  });
});
