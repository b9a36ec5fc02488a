import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const noFile = '/nonexistent/.env';

describe('loadConfig', () => {
  it('fills every default from an empty environment', () => {
    const config = loadConfig({}, noFile);
    expect(config.API_HOST).toBe('0.0.0.0');
    expect(config.API_PORT).toBe(8000);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.MODEL_THREADS).toBe(1);
  });

  it('coerces numbers and flags from strings', () => {
    const config = loadConfig({ API_PORT: '9001', LOG_PROMPTS: 'true', MODEL_SLOTS: '4' }, noFile);
    expect(config).toMatchObject({ API_PORT: 9001, LOG_PROMPTS: true, MODEL_SLOTS: 4 });
  });

  it('stops with one line naming a bad setting', () => {
    expect(() => loadConfig({ API_PORT: 'eighty' }, noFile)).toThrow(ConfigError);
    expect(() => loadConfig({ API_PORT: 'eighty' }, noFile)).toThrow(/^Invalid setting API_PORT="eighty": /);
    expect(() => loadConfig({ MODEL_THREADS: '0' }, noFile)).toThrow(/MODEL_THREADS/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, noFile)).toThrow(/LOG_LEVEL/);
  });
});
