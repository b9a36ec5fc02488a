export { createWorker, type RunningWorker, type WorkerDeps } from './worker.js';
export { createLlamaCppEngine, type LlamaCppEngineOptions } from './engines/llamacpp.js';
export { createThreadedLlamaCppEngine, type ThreadedEngine } from './engines/threaded-llamacpp.js';
export { createVllmEngine, type VllmEngineOptions } from './engines/vllm.js';
export { createOpenAIEngine, type OpenAIEngineOptions } from './engines/openai.js';
export { EngineLostError } from './engines/engine-lost-error.js';
export { createEngineForModel, type EngineRuntime } from './create-engine.js';
export { runWorkerProcess } from './main.js';
