import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { InvalidRequestError } from '@spool/shared';

/** Node's parser and timeout errors, as the OpenAI errors a client reads. */
function errorFor(code: string | undefined): InvalidRequestError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new InvalidRequestError('The request headers are too large.', null, 'request_header_fields_too_large', 431);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new InvalidRequestError('The chunk extensions of the request body are too large.', null, 'request_too_large', 413);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new InvalidRequestError('The request did not arrive in time (HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS).', null, 'request_timeout', 408);
    default:
      return new InvalidRequestError('The request is not valid HTTP.', null, 'malformed_request', 400);
  }
}

/**
 * The server's 'clientError' listener: what Node answers itself (431, 400, 408) goes out with an
 * OpenAI error body, then the connection closes. As Node does, nothing is written once a response
 * on the connection has begun (it would corrupt that response), nor to a socket already gone.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const spoolError = errorFor(error.code);
  const body = JSON.stringify(spoolError.toJSON());
  const head = [
    `HTTP/1.1 ${spoolError.status} ${STATUS_CODES[spoolError.status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}
