import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SpoolProcess {
  child: ChildProcess;
  url: string;
  /** The JSON log lines it has written so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * Runs `spool <command>` (api, start) as a child process and resolves once it prints its URL.
 * `detached` gives it a process group of its own, so a test can signal the group as a terminal's
 * Ctrl-C does.
 */
export async function startSpoolProcess(command: string, env: Record<string, string>, options: { detached?: boolean } = {}): Promise<SpoolProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/spool.ts', command], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: options.detached ?? false,
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const listening = /Spool API listening on (http:\/\/\S+)/.exec(line);
      if (listening) resolve(listening[1]!);
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    });
    void exited.then((code) => reject(new Error(`spool ${command} exited (${code}) before listening`)));
  });
  return { child, url, logs, exited };
}

/** Polls `GET /ready` until it answers 200. */
export async function waitUntilReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${url}/ready`).then(
      (answer) => answer.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
