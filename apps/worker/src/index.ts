export { createWorker, type RunningWorker, type WorkerDeps } from './worker.js';
export { createLlamaCppEngine, type LlamaCppEngineOptions } from './engines/llamacpp.js';
export { createEngineForModel } from './create-engine.js';
export { runWorkerProcess } from './main.js';
