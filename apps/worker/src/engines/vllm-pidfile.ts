import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Whether `pid` still runs vllm; a pid the kernel gave to something else since is left alone. */
function runsVllm(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    return /vllm/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    // No /proc (macOS): the pid is alive and was ours; trust the file.
    return true;
  }
}

/** Notes the process group of a spawned vLLM (its pid: it leads its own group). */
export function notePid(pidFile: string, pid: number): void {
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${pid}\n`);
}

/** Removes the note after a clean stop, unless another start has written its own since. */
export function forgetPid(pidFile: string, pid: number): void {
  try {
    if (Number(readFileSync(pidFile, 'utf8').trim()) === pid) rmSync(pidFile);
  } catch {
    // Nothing noted.
  }
}

/**
 * Ends the vLLM process group a previous worker on these GPUs left running (it was SIGKILLed, so
 * it never stopped its child, which still holds the GPUs' memory). Returns whether it ended one.
 */
export async function endLeftoverGroup(pidFile: string, timeoutMs = 30_000): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !runsVllm(pid)) return false;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) signalGroup('SIGKILL');
  // A killed process lingers only until its new parent reaps it.
  const reaped = Date.now() + 5000;
  while (alive(pid) && Date.now() < reaped) await sleep(50);
  rmSync(pidFile, { force: true });
  return true;
}
