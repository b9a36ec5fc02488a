import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '@spool/shared';

const settings = Object.keys(configSchema.shape);

describe('settings documentation', () => {
  it('lists every setting in .env.example with its default', () => {
    const example = readFileSync('.env.example', 'utf8');
    expect(settings.filter((name) => !new RegExp(`^${name}=`, 'm').test(example))).toEqual([]);
  });

  it('lists every setting in the README', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(settings.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('keeps the names the seed asked for', () => {
    expect(settings).toEqual(expect.arrayContaining(['API_HOST', 'API_PORT', 'JWT_SECRET_KEY', 'CORS_ORIGINS']));
  });
});
