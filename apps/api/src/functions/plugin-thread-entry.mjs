// Entry of a function-plugin thread (plugin-host.ts). A worker thread does not inherit the loader that
// lets the process run TypeScript, so it registers tsx itself before loading the plugins.
import { register } from 'tsx/esm/api';

register();
await import('./plugin-thread.ts');
