import { spawn } from 'node:child_process';
import { checkAuthConfig, mintToken, startApi } from '@spool/api';
import { loadConfig } from '@spool/shared';
import { ensureRedis } from '../ensure-redis.js';
import { quickstartSecret } from '../quickstart-secret.js';
import { onStopSignals } from '../stop-signals.js';

/** A worker that exits non-zero after running this long is restarted; sooner, it failed to start. */
const WORKER_RESTART_AFTER_MS = 60_000;

/** All in one: Redis (the configured one, or a private one), one worker child process, the API. */
export async function run(): Promise<void> {
  const configured = loadConfig();
  const secret = quickstartSecret(configured);
  if (secret.path) console.log(`No JWT key configured: using the quickstart secret in ${secret.path}`);
  const initial = loadConfig({ ...process.env, ...secret.env });
  checkAuthConfig(initial);
  const redis = await ensureRedis(initial.REDIS_URL, initial.SPOOL_DATA_DIR);
  if (redis.process) console.log(`No Redis at ${initial.REDIS_URL}; started a private one at ${redis.url}`);
  const env = { ...process.env, ...secret.env, REDIS_URL: redis.url };
  const config = loadConfig(env);

  // Re-run this same entry point (with tsx's loader flags) as the worker. In a process group of its
  // own, a terminal's Ctrl-C reaches only this process, which stops the worker after the API has
  // drained; the IPC channel tells it when this process dies.
  const spawnWorker = () =>
    spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'worker'], { env, stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true });
  let worker = spawnWorker();
  let workerStartedAt = Date.now();
  const api = await startApi(config);
  console.log(`Spool API listening on ${api.url} (model ${config.DEFAULT_MODEL}; the worker is loading it)`);
  if (!config.AUTH_DISABLED && config.JWT_SECRET_KEY) {
    const token = mintToken(config, { sub: 'quickstart', scope: 'generate batch functions admin', ttl: '24h' });
    console.log(`A token to try it (sub=quickstart, every scope, 24 h; mint more with \`npm run spool -- token create\`):\n  export OPENAI_API_KEY=${token}`);
  }

  // API first: it stops accepting and its in-flight requests finish while the worker still serves
  // them; then the worker finishes what it runs (SHUTDOWN_GRACE_MS each).
  let stopping = false;
  const stop = onStopSignals(async () => {
    stopping = true;
    await api.close();
    const exited = new Promise((resolve) => (worker.exitCode === null && worker.signalCode === null ? worker.once('exit', resolve) : resolve(undefined)));
    worker.kill('SIGTERM');
    await exited;
    redis.process?.kill();
  });
  // A worker whose engine died exits 1 after handing its jobs back (see apps/worker/src/main.ts): start a
  // fresh one. One that fails soon after its start would only fail again: stop instead.
  const onWorkerExit = (code: number | null) => {
    if (stopping) return;
    if (code !== 0 && Date.now() - workerStartedAt > WORKER_RESTART_AFTER_MS) {
      console.error(`The worker exited (code ${code}); starting a new one.`);
      worker = spawnWorker();
      workerStartedAt = Date.now();
      worker.on('exit', onWorkerExit);
      return;
    }
    console.error(`The worker exited (code ${code}); stopping.`);
    stop(1);
  };
  worker.on('exit', onWorkerExit);
}
