import { startApi } from '@spool/api';
import { loadConfig } from '@spool/shared';

export async function run(): Promise<void> {
  const api = await startApi(loadConfig());
  console.log(`Spool API listening on ${api.url}`);
  const stop = async () => {
    await api.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
