import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

/**
 * An `openai` engine model declared with the embeddings capability forwards /v1/embeddings to its
 * upstream. The upstream here is a second Spool serving the embedded model, so the forwarded
 * vectors can be compared with the upstream's own.
 */
describe('embeddings forwarded to an OpenAI-compatible upstream', () => {
  let upstream: Spool;
  let upstreamWorker: InProcessWorker;
  let front: Spool;
  let frontWorker: InProcessWorker;

  beforeAll(async () => {
    upstream = await startSpool();
    upstreamWorker = await startInProcessWorker(upstream.config);
    await upstream.waitForWorkers(1);
    const models = join(mkdtempSync(join(tmpdir(), 'spool-embeddings-')), 'models.yaml');
    writeFileSync(
      models,
      [
        'models:',
        `  - id: ${MODEL}`,
        '    engine: openai',
        `    source: ${MODEL}`,
        '    capabilities: [embeddings]',
        `    options: { url: "${upstream.url}/v1", slots: 4 }`,
      ].join('\n'),
    );
    front = await startSpool({ MODELS_FILE: models });
    frontWorker = await startInProcessWorker(front.config);
    await front.waitForWorkers(1);
  });
  afterAll(async () => {
    await frontWorker?.close();
    await front?.close();
    await upstreamWorker?.close();
    await upstream?.close();
  });

  it('gives the upstream vectors, and lists only the embeddings capability', async () => {
    const input = ['Once upon a time', 'A dog ran'];
    const direct = await upstream.client.embeddings.create({ model: MODEL, input, encoding_format: 'float' });
    const forwarded = await front.client.embeddings.create({ model: MODEL, input, encoding_format: 'float' });
    expect(forwarded.data.map((item) => item.embedding)).toEqual(direct.data.map((item) => item.embedding));
    expect(forwarded.usage.prompt_tokens).toBe(direct.usage.prompt_tokens);
    const model = await front.client.models.retrieve(MODEL);
    expect((model as unknown as { capabilities: string[] }).capabilities).toEqual(['embeddings']);
  });

  it('passes dimensions on, and the upstream refusal comes back as a 400', async () => {
    await expect(front.client.embeddings.create({ model: MODEL, input: 'x', dimensions: 8 })).rejects.toMatchObject({ status: 400 });
  });
});
