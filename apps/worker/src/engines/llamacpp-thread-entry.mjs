// Entry of the engine thread (threaded-llamacpp.ts). A worker thread does not inherit the loader that
// lets the process run TypeScript, so it registers tsx itself before loading the engine.
import { register } from 'tsx/esm/api';

register();
await import('./llamacpp-thread.ts');
