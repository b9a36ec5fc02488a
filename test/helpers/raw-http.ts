import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: string;
  body: string;
  /** Milliseconds from the connection to the server closing it. */
  elapsedMs: number;
}

/** Opens a plain TCP connection to an http:// URL's host and port. */
export async function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/**
 * Sends raw bytes (a request as written, well-formed or not) and reads everything the server
 * answers until it closes the connection. `delayMs` waits that long between connecting and sending.
 */
export async function rawExchange(url: string, request: string, options: { keepOpen?: boolean; delayMs?: number } = {}): Promise<RawAnswer> {
  const started = Date.now();
  const socket = await openSocket(url);
  if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(request);
  if (!options.keepOpen) socket.end();
  await closed;
  const text = Buffer.concat(chunks).toString('utf8');
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body, elapsedMs: Date.now() - started };
}
