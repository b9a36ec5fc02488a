import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Logger } from '@spool/shared';
import { endLeftoverGroup, forgetPid, notePid } from './vllm-pidfile.js';

export interface VllmProcessOptions {
  bin: string;
  /** `vllm` arguments for a given port. */
  args: (port: number) => string[];
  env: NodeJS.ProcessEnv;
  logger: Logger;
  startupTimeoutMs: number;
  restartBackoffMs: number;
  maxBackoffMs?: number;
  /** Strings never to let into the log from vLLM's output (its API key). */
  secrets?: string[];
  /**
   * Where the running server's process group is noted: a worker SIGKILLed before it could stop vLLM
   * leaves the group holding the GPUs, and the next start on these GPUs ends it first.
   */
  pidFile?: string;
}

export interface VllmProcess {
  /** Spawns vLLM and resolves once `/health` answers 200; rejects when it exits or times out first. */
  start(): Promise<void>;
  /** `http://127.0.0.1:<port>` of the running server. */
  url(): string;
  pid(): number | undefined;
  /** Whether the server answered /health since it last started (false while it restarts). */
  healthy(): boolean;
  /** Resolves while healthy at once, else when a restart is healthy; rejects past `timeoutMs` or on stop. */
  whenReady(signal: AbortSignal, timeoutMs: number): Promise<void>;
  /** SIGTERM to the process group, SIGKILL after a grace period; no restart follows. */
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long vLLM has to exit after SIGTERM before its process group is killed (pod grace periods add it). */
export const VLLM_STOP_GRACE_MS = 20_000;

/**
 * One line of vLLM's output into Spool's log at its level. vLLM 0.10+ writes the process first,
 * `(APIServer pid=12) INFO 05-01 12:00:00 [api_server.py:1] ...` (or `(EngineCore_DP0 pid=13)`),
 * older ones start with the level; the process goes into a field of its own.
 */
export function logLine(logger: Logger, rawLine: string, secrets: string[] = []): void {
  let line = rawLine;
  for (const secret of secrets) line = line.replaceAll(secret, '[redacted]');
  const prefix = /^\((\S+) pid=(\d+)\)\s*/.exec(line);
  if (prefix) line = line.slice(prefix[0].length);
  if (!line.trim()) return;
  const fields = prefix ? { vllm: true, vllmProcess: prefix[1], vllmPid: Number(prefix[2]) } : { vllm: true };
  if (/^(ERROR|CRITICAL)\b/.test(line)) logger.error(fields, line);
  else if (/^WARN(ING)?\b/.test(line)) logger.warn(fields, line);
  else if (/^DEBUG\b/.test(line)) logger.debug(fields, line);
  else logger.info(fields, line);
}

/**
 * Runs `vllm serve` as a supervised child: its output goes into Spool's log, a crash is followed by
 * a restart after a backoff that doubles with each crash in a row (reset once a start is healthy).
 */
export function createVllmProcess(options: VllmProcessOptions): VllmProcess {
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  let child: ChildProcess | undefined;
  let port = 0;
  let healthy = false;
  /** A first start that fails is the caller's error; restarts begin only after one healthy start. */
  let everHealthy = false;
  let stopping = false;
  let crashesInRow = 0;
  let readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  const settleWaiters = (error?: Error) => {
    const waiters = readyWaiters;
    readyWaiters = [];
    for (const waiter of waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  };

  async function waitForHealth(process: ChildProcess, gone: () => Error | undefined): Promise<void> {
    const deadline = Date.now() + options.startupTimeoutMs;
    while (Date.now() < deadline) {
      const error = gone();
      if (error) throw new Error(`${error.message} before it was healthy`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return;
      await sleep(250);
    }
    process.kill('SIGKILL');
    throw new Error(`vllm did not answer /health within ${options.startupTimeoutMs} ms`);
  }

  async function launch(): Promise<void> {
    if (options.pidFile && (await endLeftoverGroup(options.pidFile))) {
      options.logger.warn({ pidFile: options.pidFile }, 'ended a vllm left running by a worker that died');
    }
    port = await freePort();
    const args = options.args(port);
    options.logger.info({ bin: options.bin, args, cudaVisibleDevices: options.env.CUDA_VISIBLE_DEVICES }, 'starting vllm');
    // Its own process group, so stop() also reaches the tensor-parallel workers vLLM forks.
    const spawned = spawn(options.bin, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child = spawned;
    if (options.pidFile && spawned.pid) notePid(options.pidFile, spawned.pid);
    let exitError: Error | undefined;
    const onGone = (error: Error) => {
      if (exitError) return;
      exitError = error;
      onExit(spawned, error);
    };
    spawned.once('error', onGone);
    spawned.once('exit', (code, signal) => onGone(new Error(`vllm exited (code ${code}, signal ${signal})`)));
    for (const stream of [spawned.stdout!, spawned.stderr!])
      createInterface({ input: stream }).on('line', (line) => logLine(options.logger, line, options.secrets));
    await waitForHealth(spawned, () => exitError);
    healthy = true;
    everHealthy = true;
    crashesInRow = 0;
    options.logger.info({ port, pid: spawned.pid }, 'vllm is healthy');
    settleWaiters();
  }

  function onExit(process: ChildProcess, error: Error): void {
    if (process !== child) return;
    healthy = false;
    if (stopping || !everHealthy) return;
    crashesInRow += 1;
    const backoff = Math.min(options.restartBackoffMs * 2 ** (crashesInRow - 1), maxBackoff);
    options.logger.error({ err: error, restartInMs: backoff, crashesInRow }, 'vllm died; restarting');
    setTimeout(() => {
      if (stopping) return;
      launch().catch((launchError: Error) => {
        options.logger.error({ err: launchError }, 'vllm restart failed');
        if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
    }, backoff).unref();
  }

  return {
    start: launch,
    url: () => `http://127.0.0.1:${port}`,
    pid: () => child?.pid,
    healthy: () => healthy,
    whenReady(signal, timeoutMs) {
      if (healthy) return Promise.resolve();
      if (stopping) return Promise.reject(new Error('vllm is stopping'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`vllm was not healthy again within ${timeoutMs} ms`)), timeoutMs);
        const onAbort = () => finish(signal.reason);
        const waiter = { resolve: () => finish(), reject: (error: Error) => finish(error) };
        function finish(error?: unknown) {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          readyWaiters = readyWaiters.filter((entry) => entry !== waiter);
          if (error) reject(error);
          else resolve();
        }
        signal.addEventListener('abort', onAbort, { once: true });
        readyWaiters.push(waiter);
      });
    },
    async stop() {
      stopping = true;
      healthy = false;
      settleWaiters(new Error('vllm is stopping'));
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      const signalGroup = (name: NodeJS.Signals) => {
        try {
          process.kill(-running.pid!, name);
        } catch {
          running.kill(name);
        }
      };
      signalGroup('SIGTERM');
      const killTimer = setTimeout(() => signalGroup('SIGKILL'), VLLM_STOP_GRACE_MS);
      await exited;
      clearTimeout(killTimer);
      if (options.pidFile) forgetPid(options.pidFile, running.pid!);
    },
  };
}
