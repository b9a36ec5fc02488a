import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Source files: what runs or is read by a tool. Deployment files (infra/) name paths inside the images
// (the Hugging Face cache in root's home), which are not this machine's.
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|json|sh)$|^(bin|\.ci|test\/fixtures\/bin)\/[^/.]+$/;
// A path that only exists on the machine a file was written on: home directories, the workplace folder.
const MACHINE_PATH = /(^|[\s'"`(=:])\/(home|root|work|Users)\/[^\s'"`)]*/m;

// Paths inside the images, not on any machine: vLLM's image keeps the Hugging Face cache in root's home.
const IN_IMAGE = ['/' + 'root/.cache/huggingface'];

function trackedSourceFiles(): string[] {
  const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0');
  return files.filter((file) => SOURCE.test(file) && file !== 'package-lock.json');
}

describe('source tree', () => {
  it('holds no absolute path of the machine it was written on', () => {
    const files = trackedSourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.flatMap((file) => {
      const text = IN_IMAGE.reduce((source, path) => source.replaceAll(path, ''), readFileSync(file, 'utf8'));
      const found = MACHINE_PATH.exec(text);
      return found ? [`${file}: ${found[0].trim()}`] : [];
    });
    expect(offenders).toEqual([]);
  });

  it('recognises a machine path when one is there', () => {
    // Spelled in pieces so that this file does not hold what it looks for.
    expect(MACHINE_PATH.test(`loadModel({ modelPath: '${'/work'}/shared/models/x.gguf' })`)).toBe(true);
    expect(MACHINE_PATH.test(`cd ${'/home'}/dev/spool`)).toBe(true);
    expect(MACHINE_PATH.test("import { x } from './work/y.js'; const route = '/v1/models/root';")).toBe(false);
  });
});
