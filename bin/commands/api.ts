import { startApi } from '@spool/api';
import { loadConfig } from '@spool/shared';
import { onStopSignals } from '../stop-signals.js';

/** The API tier alone. SIGTERM or SIGINT drains it (SHUTDOWN_GRACE_MS) and exits 0. */
export async function run(): Promise<void> {
  const api = await startApi(loadConfig());
  console.log(`Spool API listening on ${api.url}`);
  onStopSignals(() => api.close());
}
