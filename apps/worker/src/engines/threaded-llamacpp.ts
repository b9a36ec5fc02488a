import { Worker } from 'node:worker_threads';
import { createAsyncQueue, type AsyncQueue, type EmbeddingResult, type Engine, type EngineStats, type GenerationEvent } from '@spool/shared';
import { EngineLostError } from './engine-lost-error.js';
import { fromThreadError, type FromEngineThread, type ToEngineThread } from './engine-thread-protocol.js';
import { llamaCppModelInfo, type LlamaCppEngineOptions } from './llamacpp.js';

export interface ThreadedEngine extends Engine {
  /** The engine thread while it runs; tests terminate it to play a dead engine. */
  readonly thread: Worker | undefined;
}

/**
 * The llama.cpp engine on a thread of its own. node-llama-cpp samples each token on the thread
 * that runs its event loop, between decode steps; in the worker's main thread every BullMQ and
 * Redis callback that happened to run there delayed the next step, which cost batch throughput
 * (about a fifth against the engine alone). Here the engine thread does nothing else, and the main
 * thread gets its events in one message per tick. A thread that dies fails what it was running
 * with EngineLostError, so the worker hands those jobs back; the engine is then lost for good (the
 * native engine's state went with the thread): later calls fail at once and `onLost` tells the
 * worker, which stops taking jobs and exits for its supervisor to restart it (see worker.ts).
 */
export function createThreadedLlamaCppEngine(options: LlamaCppEngineOptions): ThreadedEngine {
  const model = llamaCppModelInfo(options);
  let thread: Worker | undefined;
  let stats: EngineStats = { busySlots: 0, memoryBytes: 0, memoryKind: 'ram', generatedTokens: 0 };
  let nextId = 0;
  const generations = new Map<number, AsyncQueue<GenerationEvent>>();
  const counts = new Map<number, { resolve(tokens: number): void; reject(error: Error): void }>();
  const embeddings = new Map<number, { resolve(result: EmbeddingResult): void; reject(error: Error): void }>();
  let stopped: (() => void) | undefined;
  let stopping = false;
  let lost: EngineLostError | undefined;
  const lostListeners: ((error: Error) => void)[] = [];

  const post = (message: ToEngineThread) => thread?.postMessage(message);

  function failAll(error: Error): void {
    for (const queue of generations.values()) queue.close(error);
    generations.clear();
    for (const count of counts.values()) count.reject(error);
    counts.clear();
    for (const embedding of embeddings.values()) embedding.reject(error);
    embeddings.clear();
  }

  function onMessage(message: FromEngineThread): void {
    switch (message.type) {
      case 'events':
        for (const { id, event } of message.items) generations.get(id)?.push(event);
        break;
      case 'done': {
        stats = message.stats;
        const queue = generations.get(message.id);
        generations.delete(message.id);
        queue?.close(message.error ? fromThreadError(message.error) : undefined);
        break;
      }
      case 'embedded': {
        const embedding = embeddings.get(message.id);
        embeddings.delete(message.id);
        if (message.error) embedding?.reject(fromThreadError(message.error));
        else embedding?.resolve(message.result!);
        break;
      }
      case 'counted': {
        const count = counts.get(message.id);
        counts.delete(message.id);
        if (message.error) count?.reject(fromThreadError(message.error));
        else count?.resolve(message.tokens!);
        break;
      }
      case 'stats':
        stats = message.stats;
        break;
      case 'stopped':
        stopped?.();
        break;
    }
  }

  return {
    model,
    async start() {
      thread = new Worker(new URL('./llamacpp-thread-entry.mjs', import.meta.url), { workerData: options });
      thread.on('message', onMessage);
      const starting = new Promise<void>((resolve, reject) => {
        const onStart = (message: FromEngineThread) => {
          if (message.type === 'started') resolve();
          else if (message.type === 'start-failed') reject(fromThreadError(message.error));
          else return;
          thread!.off('message', onStart);
        };
        thread!.on('message', onStart);
        thread!.once('error', reject);
        thread!.once('exit', (code) => reject(new EngineLostError(`The engine thread exited (code ${code}) while starting.`)));
      });
      try {
        await starting;
      } catch (error) {
        // A thread whose engine failed to load would otherwise keep the process alive.
        await thread.terminate();
        thread = undefined;
        throw error;
      }
      let failure: Error | undefined;
      thread.on('error', (error) => {
        failure = error;
        failAll(new EngineLostError(`The engine thread failed: ${error.message}`));
      });
      thread.on('exit', (code) => {
        thread = undefined;
        if (!stopping) {
          lost = new EngineLostError(`The engine thread ${failure ? `failed (${failure.message})` : `exited (code ${code})`}.`);
          for (const listener of lostListeners) listener(lost);
        }
        failAll(lost ?? new EngineLostError('The engine stopped.'));
        stopped?.();
      });
    },
    get thread() {
      return thread;
    },
    async *generate(request, signal) {
      if (lost) throw lost;
      const id = (nextId += 1);
      const queue = createAsyncQueue<GenerationEvent>();
      generations.set(id, queue);
      const onAbort = () => post({ type: 'abort', id });
      signal.addEventListener('abort', onAbort, { once: true });
      post({ type: 'generate', id, request });
      try {
        yield* queue;
      } finally {
        signal.removeEventListener('abort', onAbort);
        // A consumer that stops reading (`break`) frees the slot too.
        if (generations.delete(id)) post({ type: 'abort', id });
      }
    },
    countPromptTokens(request) {
      if (lost) return Promise.reject(lost);
      const id = (nextId += 1);
      return new Promise((resolve, reject) => {
        counts.set(id, { resolve, reject });
        post({ type: 'count', id, request });
      });
    },
    embed(request) {
      if (lost) return Promise.reject(lost);
      const id = (nextId += 1);
      return new Promise((resolve, reject) => {
        embeddings.set(id, { resolve, reject });
        post({ type: 'embed', id, request });
      });
    },
    stats: () => stats,
    async stop() {
      stopping = true;
      const running = thread;
      if (!running) return;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      post({ type: 'stop' });
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5000))]);
      await running.terminate();
      thread = undefined;
    },
    onLost(listener) {
      lostListeners.push(listener);
    },
  };
}
