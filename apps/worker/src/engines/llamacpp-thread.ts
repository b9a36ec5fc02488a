/**
 * The engine thread: runs the llama.cpp engine on its own event loop, so the worker's queue and
 * Redis work on the main thread never sits between two decode steps. See threaded-llamacpp.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GenerationEvent } from '@spool/shared';
import type { FromEngineThread, ToEngineThread } from './engine-thread-protocol.js';
import { toThreadError } from './engine-thread-protocol.js';
import { createLlamaCppEngine, type LlamaCppEngineOptions } from './llamacpp.js';

const port = parentPort!;
const engine = createLlamaCppEngine(workerData as LlamaCppEngineOptions);
const running = new Map<number, AbortController>();
const send = (message: FromEngineThread) => port.postMessage(message);

// Events of every generation leave together once per tick: one message instead of one per token.
let outbox: { id: number; event: GenerationEvent }[] = [];
let flushScheduled = false;
function queueEvent(id: number, event: GenerationEvent): void {
  outbox.push({ id, event });
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    const items = outbox;
    outbox = [];
    send({ type: 'events', items });
  });
}

async function generate(id: number, request: Parameters<typeof engine.generate>[0]): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  let error: unknown;
  try {
    for await (const event of engine.generate(request, controller.signal)) queueEvent(id, event);
  } catch (failure) {
    error = failure ?? new Error('The generation failed.');
  } finally {
    running.delete(id);
  }
  // After the events already queued; the stats ride along, so the slot shows free at once.
  await new Promise((resolve) => setImmediate(resolve));
  send({ type: 'done', id, stats: engine.stats(), ...(error === undefined ? {} : { error: toThreadError(error) }) });
}

const statsTimer = setInterval(() => send({ type: 'stats', stats: engine.stats() }), 250);

port.on('message', (message: ToEngineThread) => {
  switch (message.type) {
    case 'generate':
      void generate(message.id, message.request);
      break;
    case 'abort':
      running.get(message.id)?.abort();
      break;
    case 'count':
      engine.countPromptTokens(message.request).then(
        (tokens) => send({ type: 'counted', id: message.id, tokens }),
        (error: unknown) => send({ type: 'counted', id: message.id, error: toThreadError(error) }),
      );
      break;
    case 'embed':
      engine.embed!(message.request, new AbortController().signal).then(
        (result) => send({ type: 'embedded', id: message.id, result }),
        (error: unknown) => send({ type: 'embedded', id: message.id, error: toThreadError(error) }),
      );
      break;
    case 'stop':
      clearInterval(statsTimer);
      for (const controller of running.values()) controller.abort();
      void engine.stop().finally(() => {
        send({ type: 'stopped' });
        port.close();
      });
      break;
  }
});

engine.start().then(
  () => {
    send({ type: 'stats', stats: engine.stats() });
    send({ type: 'started' });
  },
  (error: unknown) => send({ type: 'start-failed', error: toThreadError(error) }),
);
