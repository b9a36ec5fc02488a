import { describe, expect, it } from 'vitest';
import { CorruptEntryError, decodeResult, encodeResult } from './codec.js';
import type { CachedResult } from './cached-result.js';

const result = (text: string): CachedResult => ({
  choices: [{ text, toolCalls: [{ id: 'call_1', name: 'f', arguments: '{"a":1}' }], finishReason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});

describe('codec', () => {
  it('keeps small values as JSON and round-trips them', () => {
    const encoded = encodeResult(result('short'), 1024);
    expect(encoded.codec).toBe('json');
    expect(encoded.bytes[0]).toBe(0);
    expect(decodeResult(encoded.bytes)).toEqual(result('short'));
  });

  it('compresses values over the threshold with Brotli, records the codec, and round-trips them', () => {
    const text = 'Once upon a time there was a little dog. '.repeat(200);
    const encoded = encodeResult(result(text), 1024);
    expect(encoded.codec).toBe('brotli');
    expect(encoded.bytes[0]).toBe(1);
    expect(encoded.bytes.length).toBeLessThan(encoded.rawBytes / 5);
    expect(decodeResult(encoded.bytes)).toEqual(result(text));
  });

  it('rejects garbage, an unknown codec and a value of the wrong shape', () => {
    expect(() => decodeResult(Buffer.from([1, 2, 3, 4]))).toThrow(CorruptEntryError);
    expect(() => decodeResult(Buffer.from([9, 123, 125]))).toThrow(CorruptEntryError);
    expect(() => decodeResult(Buffer.concat([Buffer.of(0), Buffer.from('{"choices":"no"}')]))).toThrow(CorruptEntryError);
  });
});
