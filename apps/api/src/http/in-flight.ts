import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The requests a server is answering right now, and its connections. */
export interface InFlight {
  readonly size: number;
  responses(): IterableIterator<ServerResponse>;
  /** Response bytes written but not yet taken by clients (Node's buffers; the kernel's not counted). */
  bufferedBytes(): number;
  /** Open connections with no request in flight, each with the time it went idle. */
  idleConnections(): [Socket, number][];
}

export function trackInFlight(server: Server): InFlight {
  const open = new Set<ServerResponse>();
  const connections = new Map<Socket, { busy: number; idleSince: number }>();
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { busy: 0, idleSince: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  // Before the app's listener, so a request counts from its first line of code.
  server.prependListener('request', (req, res: ServerResponse) => {
    open.add(res);
    const connection = connections.get(req.socket);
    if (connection) connection.busy += 1;
    res.once('close', () => {
      open.delete(res);
      if (!connection) return;
      connection.busy -= 1;
      connection.idleSince = Date.now();
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
    idleConnections: () => [...connections].filter(([, state]) => state.busy === 0).map(([socket, state]) => [socket, state.idleSince]),
  };
}
