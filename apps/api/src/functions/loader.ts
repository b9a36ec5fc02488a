import type { Logger } from '@spool/shared';
import type { PluginHost } from './plugin-host.js';
import type { FunctionRegistry } from './registry.js';

/** A module that could not be loaded, and why. */
export interface LoadFailure {
  file: string;
  error: string;
}

/**
 * Registers the functions of the modules the plugin host loaded (see plugin-host.ts): each runs on
 * the host's threads. A module that failed to import, exports nothing usable, or clashes with a
 * registered name is logged and skipped; the others still load.
 */
export function registerPluginModules(host: PluginHost, registry: FunctionRegistry, logger: Logger): LoadFailure[] {
  const failures: LoadFailure[] = [];
  for (const module of host.modules) {
    try {
      if ('error' in module) throw new Error(module.error);
      // Check all before registering any, so a module loads whole or not at all.
      for (const fn of module.functions) if (registry.get(fn.name)) throw new Error(`a function named '${fn.name}' is already registered`);
      for (const fn of module.functions) registry.register({ ...fn, handler: (args, context) => host.call(fn.name, args, context.signal) });
      logger.info({ file: module.file, functions: module.functions.map((fn) => fn.name) }, 'functions loaded');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ file: module.file, error: message }, 'function module failed to load; skipped');
      failures.push({ file: module.file, error: message });
    }
  }
  return failures;
}
