import { Gauge, type Registry } from 'prom-client';
import type { InFlight } from './in-flight.js';

/** Gauges of the HTTP server, read at scrape time: requests in flight and the bytes they buffer. */
export function registerHttpGauges(registry: Registry, inFlight: InFlight): void {
  new Gauge({
    name: 'spool_http_requests_in_flight',
    help: 'Requests being answered now (streams included).',
    registers: [registry],
    collect() {
      this.set(inFlight.size);
    },
  });
  new Gauge({
    name: 'spool_http_buffered_bytes',
    help: "Response bytes written but not yet taken by clients (Node's buffers; a slow reader's stream waits instead of growing this).",
    registers: [registry],
    collect() {
      this.set(inFlight.bufferedBytes());
    },
  });
}
