import { readGgufFileInfo } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { findModelFile } from '@spool/shared';
import { MODEL, useSpool } from './helpers/spool-harness.js';

/** The model's own embedding size, read from its GGUF header (stories260K: 64). */
async function embeddingLength(searchPath: string): Promise<number> {
  const info = await readGgufFileInfo(findModelFile('stories260K.gguf', searchPath)!, { readTensorInfo: false });
  return (info.metadata as unknown as { llama: { embedding_length: number } }).llama.embedding_length;
}

describe('POST /v1/embeddings through openai-node, on the embedded model', () => {
  // The cache as a deployment runs it: embeddings count as deterministic.
  const running = useSpool({ CACHE_POLICY: 'deterministic' });

  it('gives float vectors of the model embedding size, one per input, in order', async () => {
    const size = await embeddingLength(running.spool.config.SPOOL_MODEL_PATH);
    const inputs = ['Once upon a time', 'The cat sat on the mat', 'Lily found a red ball'];
    const answer = await running.spool.client.embeddings.create({ model: MODEL, input: inputs, encoding_format: 'float' });
    expect(answer.object).toBe('list');
    expect(answer.data.map((item) => item.index)).toEqual([0, 1, 2]);
    for (const item of answer.data) {
      expect(item.object).toBe('embedding');
      expect(item.embedding).toHaveLength(size);
      expect(item.embedding.every((value) => Number.isFinite(value))).toBe(true);
    }
    expect(answer.data[0]!.embedding).not.toEqual(answer.data[1]!.embedding);
    expect(answer.usage.prompt_tokens).toBeGreaterThan(inputs.length);
    expect(answer.usage.total_tokens).toBe(answer.usage.prompt_tokens);
  });

  it('gives the same vector for the same input, in base64 (the SDK default) as in floats', async () => {
    const input = 'A little dog ran to the park';
    const floats = await running.spool.client.embeddings.create({ model: MODEL, input, encoding_format: 'float' });
    // Without encoding_format, openai-node asks for base64 and decodes it to floats itself.
    const decoded = await running.spool.client.embeddings.create({ model: MODEL, input });
    const raw = await running.spool.client.embeddings.create({ model: MODEL, input, encoding_format: 'base64' });
    expect(typeof raw.data[0]!.embedding).toBe('string');
    const bytes = Buffer.from(raw.data[0]!.embedding as unknown as string, 'base64');
    const fromBase64 = Array.from({ length: bytes.length / 4 }, (_, index) => bytes.readFloatLE(index * 4));
    const asFloat32 = Array.from(new Float32Array(floats.data[0]!.embedding));
    expect(decoded.data[0]!.embedding).toEqual(asFloat32);
    expect(fromBase64).toEqual(asFloat32);
    const again = await running.spool.client.embeddings.create({ model: MODEL, input, encoding_format: 'float' });
    expect(again.data[0]!.embedding).toEqual(floats.data[0]!.embedding);
  });

  it('takes token arrays, and answers a repeated request from the cache', async () => {
    const tokens = [
      [1, 400, 300, 200],
      [1, 50, 60],
    ];
    const first = await running.spool.client.embeddings.create({ model: MODEL, input: tokens, encoding_format: 'float' }).withResponse();
    expect(first.data.data).toHaveLength(2);
    expect(first.data.usage.prompt_tokens).toBe(7);
    const second = await running.spool.client.embeddings.create({ model: MODEL, input: tokens, encoding_format: 'float' }).withResponse();
    expect(second.response.headers.get('x-cache')).toMatch(/^hit-/);
    expect(second.data.data).toEqual(first.data.data);
  });

  it('answers 400 naming dimensions, a token outside the vocabulary, and an empty input', async () => {
    await expect(running.spool.client.embeddings.create({ model: MODEL, input: 'x', dimensions: 8 })).rejects.toMatchObject({
      status: 400,
      param: 'dimensions',
    });
    await expect(running.spool.client.embeddings.create({ model: MODEL, input: [[1, 999_999]] })).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(running.spool.client.embeddings.create({ model: MODEL, input: '' })).rejects.toMatchObject({ status: 400, param: 'input' });
  });

  it('lists the embeddings capability in /v1/models', async () => {
    const model = await running.spool.client.models.retrieve(MODEL);
    expect((model as unknown as { capabilities: string[] }).capabilities).toContain('embeddings');
  });
});
