import { createServer, type Server } from 'node:http';

export type WorkerPhase = 'starting' | 'ready' | 'stopping';

export interface HealthServer {
  /** The port it listens on (the one asked for, or the one given for 0). */
  port: number;
  setPhase(phase: WorkerPhase): void;
  close(): Promise<void>;
}

/**
 * The worker's probes for Kubernetes and Compose: `/health` answers 200 only while the worker takes
 * jobs and its engine can run them (503 while vLLM loads weights, restarts after a crash, or the
 * worker drains); `/health/live` answers 200 while the process answers at all, so a liveness probe
 * does not kill a worker whose vLLM is reloading 140 GB of weights.
 */
export async function startHealthServer(port: number, engineHealthy: () => boolean, host = '0.0.0.0'): Promise<HealthServer> {
  let phase: WorkerPhase = 'starting';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: Record<string, unknown>) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/health/live') return answer(200, { status: 'alive', phase });
    if (path !== '/health') return answer(404, { error: { message: 'Not found', type: 'invalid_request_error', param: null, code: 'not_found' } });
    if (phase !== 'ready') return answer(503, { status: phase });
    if (!engineHealthy()) return answer(503, { status: 'engine_down' });
    answer(200, { status: 'ok' });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return {
    port: (server.address() as { port: number }).port,
    setPhase: (next) => void (phase = next),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
