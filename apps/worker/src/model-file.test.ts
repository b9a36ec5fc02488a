import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateModelFile } from './model-file.js';

describe('locateModelFile', () => {
  it('finds a file along the search path, first directory first', async () => {
    const first = mkdtempSync(join(tmpdir(), 'spool-models-'));
    const second = mkdtempSync(join(tmpdir(), 'spool-models-'));
    writeFileSync(join(second, 'm.gguf'), 'x');
    expect(await locateModelFile('m.gguf', `${first}:${second}`)).toBe(`${second}/m.gguf`);
    writeFileSync(join(first, 'm.gguf'), 'x');
    expect(await locateModelFile('m.gguf', `${first}:${second}`)).toBe(`${first}/m.gguf`);
  });

  it('finds the file an hf: URI names when a search path already has it, without downloading', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'spool-models-'));
    writeFileSync(join(directory, 'stories260K.gguf'), 'x');
    expect(await locateModelFile('hf:ggml-org/models/tinyllamas/stories260K.gguf', directory)).toBe(`${directory}/stories260K.gguf`);
  });

  it('fails with one error naming the paths tried when the file is nowhere and nothing can be downloaded', async () => {
    await expect(locateModelFile('missing.gguf', '/nonexistent-a:/nonexistent-b')).rejects.toThrow(
      "Model file 'missing.gguf' not found; tried: /nonexistent-a/missing.gguf, /nonexistent-b/missing.gguf",
    );
  });
});
