import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { cachedResultSchema, type CachedResult } from './cached-result.js';

/**
 * A stored value: one byte naming the codec, then the payload. The codec travels with the value so
 * the threshold or the codec can change without invalidating what is stored.
 */
export const CODECS = { json: 0, brotli: 1 } as const;

export interface Encoded {
  bytes: Buffer;
  /** Size of the uncompressed JSON, for the metrics. */
  rawBytes: number;
  codec: keyof typeof CODECS;
}

/** Fast settings: cached answers are small and written on the request path. */
const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };

export function encodeResult(result: CachedResult, compressMinBytes: number): Encoded {
  const json = Buffer.from(JSON.stringify(result));
  if (json.length < compressMinBytes) return { bytes: Buffer.concat([Buffer.of(CODECS.json), json]), rawBytes: json.length, codec: 'json' };
  const packed = brotliCompressSync(json, BROTLI_OPTIONS);
  return { bytes: Buffer.concat([Buffer.of(CODECS.brotli), packed]), rawBytes: json.length, codec: 'brotli' };
}

/** Thrown for a value that cannot be read back: the caller drops the entry and counts a miss. */
export class CorruptEntryError extends Error {
  override name = 'CorruptEntryError';
}

export function decodeResult(bytes: Uint8Array): CachedResult {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let json: Buffer;
  try {
    if (buffer[0] === CODECS.json) json = buffer.subarray(1);
    else if (buffer[0] === CODECS.brotli) json = brotliDecompressSync(buffer.subarray(1));
    else throw new Error(`unknown codec ${buffer[0]}`);
    return cachedResultSchema.parse(JSON.parse(json.toString('utf8')));
  } catch (error) {
    throw new CorruptEntryError(`unreadable cache entry: ${(error as Error).message}`);
  }
}
