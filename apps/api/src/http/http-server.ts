import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Config } from '@spool/shared';
import { answerClientError } from './client-error.js';

/**
 * The API's HTTP server with its client timeouts from config. Node checks the headers and request
 * timeouts every `connectionsCheckingInterval` (30 s by default, too coarse for a 15 s limit).
 */
export function createHttpServer(app: Express, config: Config): Server {
  const server = createServer(
    {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 4))),
    },
    app,
  );
  server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server.on('clientError', answerClientError);
  return server;
}
