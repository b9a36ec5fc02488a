import type { Server, ServerResponse } from 'node:http';

/** The requests a server is answering right now. */
export interface InFlight {
  readonly size: number;
  responses(): IterableIterator<ServerResponse>;
  /** Response bytes written but not yet taken by clients (Node's buffers; the kernel's not counted). */
  bufferedBytes(): number;
  /** Resolves once no request is in flight. */
  settled(): Promise<void>;
}

export function trackInFlight(server: Server): InFlight {
  const open = new Set<ServerResponse>();
  let waiting: (() => void)[] = [];
  // Before the app's listener, so a request counts from its first line of code.
  server.prependListener('request', (_req, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      if (open.size > 0) return;
      for (const resolve of waiting) resolve();
      waiting = [];
    });
  });
  return {
    get size() {
      return open.size;
    },
    responses: () => open.values(),
    bufferedBytes() {
      let bytes = 0;
      for (const res of open) bytes += res.writableLength;
      return bytes;
    },
    settled: () => (open.size === 0 ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve))),
  };
}
