import { describe, expect, it } from 'vitest';
import { startHealthServer } from './health-server.js';

describe("the worker's probes", () => {
  it('answers 503 while starting, 200 once ready with its engine up, 503 while the engine is down or the worker drains', async () => {
    let engineUp = true;
    const health = await startHealthServer(0, () => engineUp, '127.0.0.1');
    const port = health.port;
    expect(port).toBeGreaterThan(0);
    const status = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((response) => response.status);
    expect(await status('/health')).toBe(503);
    expect(await status('/health/live')).toBe(200);
    health.setPhase('ready');
    expect(await status('/health')).toBe(200);
    engineUp = false;
    expect(await status('/health')).toBe(503);
    expect(await status('/health/live')).toBe(200);
    engineUp = true;
    health.setPhase('stopping');
    expect(await status('/health')).toBe(503);
    await health.close();
  });
});
