/**
 * A push-driven async iterable: producers `push` values from callbacks, one consumer iterates.
 * Bridges callback APIs (node-llama-cpp's onTextChunk, Redis pub/sub) to `for await`.
 */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  /** Ends the iteration after what is buffered; with an error, the consumer's loop throws it. */
  close(error?: unknown): void;
}

export function createAsyncQueue<T>(): AsyncQueue<T> {
  const buffer: T[] = [];
  let closed = false;
  let failure: unknown;
  let wake: (() => void) | undefined;

  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  return {
    push(value) {
      if (closed) return;
      buffer.push(value);
      notify();
    },
    close(error) {
      if (closed) return;
      closed = true;
      failure = error;
      notify();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (buffer.length > 0) yield buffer.shift()!;
        if (closed) {
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
