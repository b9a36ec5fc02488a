import type { Engine, GenerationEvent } from '@spool/shared';
import { MODEL } from './spool-harness.js';

/** A scripted engine that streams text as fast as it is told to, and records whether it was stopped. */
export interface FloodEngine extends Engine {
  /** Bytes of text yielded so far. */
  readonly producedBytes: number;
  /** Whether a generation saw its abort signal before it had yielded everything. */
  readonly aborted: boolean;
}

export interface FloodOptions {
  /** Text per delta, in bytes. */
  chunkBytes: number;
  /** Pause between deltas. */
  intervalMs: number;
  /** A generation ends after this many bytes. */
  totalBytes: number;
}

export function createFloodEngine(options: FloodOptions): FloodEngine {
  let producedBytes = 0;
  let aborted = false;
  const chunk = 'x'.repeat(options.chunkBytes);
  return {
    model: { id: MODEL, contextLength: 10_000_000, slots: 4, engine: 'flood' },
    get producedBytes() {
      return producedBytes;
    },
    get aborted() {
      return aborted;
    },
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    countPromptTokens: () => Promise.resolve(1),
    stats: () => ({ busySlots: 0, memoryBytes: 0, memoryKind: 'ram', generatedTokens: 0 }),
    async *generate(_request, signal): AsyncIterable<GenerationEvent> {
      let tokens = 0;
      for (let sent = 0; sent < options.totalBytes; sent += chunk.length) {
        if (signal.aborted) {
          aborted = true;
          return;
        }
        yield { type: 'text-delta', text: chunk };
        producedBytes += chunk.length;
        tokens += 1;
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
      }
      yield { type: 'end', finishReason: 'length', usage: { prompt_tokens: 1, completion_tokens: tokens, total_tokens: tokens + 1 } };
    },
  };
}
