import { Worker } from 'node:worker_threads';
import { fromThreadError, toThreadError, type Logger } from '@spool/shared';
import type { FromPluginThread, ModuleLoad, ToPluginThread } from './plugin-protocol.js';

export interface PluginHostOptions {
  dir: string;
  /** Threads that run calls at once; each runs one call at a time. */
  threads: number;
  /** How long the first thread may take to import the modules before the API starts without them. */
  loadTimeoutMs: number;
  countTokens(model: string, text: string): Promise<number>;
  logger: Logger;
}

export interface PluginHost {
  /** What the first thread found in the directory. */
  modules: ModuleLoad[];
  /** Runs a plugin's handler on a free thread; aborting `signal` (its time limit) terminates that thread. */
  call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}

interface PluginThread {
  worker: Worker;
  loaded: boolean;
  current?: { resolve(value: unknown): void; reject(error: Error): void };
}

/**
 * Runs FUNCTIONS_DIR's plugins on worker threads, never on the API's event loop: a plugin that
 * spins (`while (true) {}`) or blocks would otherwise stop every request of the replica. A call
 * takes a thread to itself; one that runs past its limit has its thread terminated (the only way
 * to stop synchronous JavaScript) and a fresh thread, which imports the modules again, takes its
 * place. Built-in functions stay in the API: they are ours and bounded.
 */
export async function startPluginHost(options: PluginHostOptions): Promise<PluginHost> {
  const entry = new URL('./plugin-thread-entry.mjs', import.meta.url);
  const idle: PluginThread[] = [];
  const waiting: ((thread: PluginThread) => void)[] = [];
  const live = new Set<PluginThread>();
  let closing = false;

  function release(thread: PluginThread): void {
    const next = waiting.shift();
    if (next) next(thread);
    else idle.push(thread);
  }

  function spawn(): Promise<ModuleLoad[]> {
    const thread: PluginThread = { worker: new Worker(entry, { workerData: { dir: options.dir } }), loaded: false };
    // Plugins' own timers must not keep the API process alive after close().
    thread.worker.unref();
    live.add(thread);
    const post = (message: ToPluginThread) => thread.worker.postMessage(message);
    return new Promise((resolve, reject) => {
      thread.worker.on('message', (message: FromPluginThread) => {
        if (message.type === 'loaded') {
          thread.loaded = true;
          resolve(message.modules);
          release(thread);
        } else if (message.type === 'result') {
          const current = thread.current;
          thread.current = undefined;
          if (message.error) current?.reject(fromThreadError(message.error));
          else current?.resolve(JSON.parse(message.json!));
        } else if (message.type === 'count') {
          options.countTokens(message.model, message.text).then(
            (tokens) => post({ type: 'counted', id: message.id, tokens }),
            (error: unknown) => post({ type: 'counted', id: message.id, error: toThreadError(error) }),
          );
        }
      });
      thread.worker.on('error', (error) => options.logger.warn({ err: error }, 'function plugin thread failed'));
      thread.worker.on('exit', (code) => {
        live.delete(thread);
        if (idle.includes(thread)) idle.splice(idle.indexOf(thread), 1);
        thread.current?.reject(new Error(`The plugin thread stopped (code ${code}).`));
        reject(new Error(`The plugin thread exited (code ${code}) while loading the modules.`));
        // Keep the pool at strength for the next call; a thread that never loaded is not retried in a loop.
        if (!closing && thread.loaded) void spawn().catch(() => undefined);
      });
    });
  }

  function acquire(signal: AbortSignal): Promise<PluginThread> {
    const free = idle.pop();
    if (free) return Promise.resolve(free);
    return new Promise((resolve, reject) => {
      const take = (thread: PluginThread) => {
        signal.removeEventListener('abort', leave);
        resolve(thread);
      };
      const leave = () => {
        waiting.splice(waiting.indexOf(take), 1);
        reject(signal.reason);
      };
      waiting.push(take);
      signal.addEventListener('abort', leave, { once: true });
      if (live.size < options.threads) void spawn().catch((error: unknown) => options.logger.warn({ err: error }, 'function plugin thread failed to start'));
    });
  }

  let loadTimer: NodeJS.Timeout | undefined;
  const modules = await Promise.race([
    spawn(),
    new Promise<never>((_, reject) => {
      loadTimer = setTimeout(() => reject(new Error(`the plugin modules did not load within ${options.loadTimeoutMs} ms`)), options.loadTimeoutMs);
    }),
  ])
    .catch(async (error: Error) => {
      for (const thread of live) await thread.worker.terminate();
      return [{ file: options.dir, error: error.message }];
    })
    .finally(() => clearTimeout(loadTimer));

  return {
    modules,
    async call(name, args, signal) {
      const thread = await acquire(signal);
      return new Promise((resolve, reject) => {
        const stop = () => void thread.worker.terminate();
        signal.addEventListener('abort', stop, { once: true });
        const settle = () => {
          signal.removeEventListener('abort', stop);
          if (live.has(thread)) release(thread);
        };
        thread.current = {
          resolve: (value) => (settle(), resolve(value)),
          reject: (error) => (settle(), reject(error)),
        };
        thread.worker.postMessage({ type: 'call', name, args } satisfies ToPluginThread);
      });
    },
    async close() {
      closing = true;
      await Promise.all([...live].map((thread) => thread.worker.terminate()));
    },
  };
}
