import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '@spool/shared';
import type { FunctionRegistry, SpoolFunction } from './registry.js';

/** A module that could not be loaded, and why. */
export interface LoadFailure {
  file: string;
  error: string;
}

const MODULE = /\.(m?js|ts|mts)$/;

/**
 * Loads every module in `dir` and registers the functions it exports: a default export (one function
 * or an array), or a named export `functions` (an array). A module that fails to import, exports
 * nothing usable, or clashes with a registered name is logged and skipped; the others still load.
 */
export async function loadFunctionModules(dir: string, registry: FunctionRegistry, logger: Logger): Promise<LoadFailure[]> {
  const failures: LoadFailure[] = [];
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => MODULE.test(file) && !file.endsWith('.d.ts')).sort();
  } catch (error) {
    logger.error({ err: error, dir }, 'cannot read FUNCTIONS_DIR');
    return [{ file: dir, error: (error as Error).message }];
  }
  for (const file of files) {
    const path = resolve(join(dir, file));
    try {
      const module = (await import(pathToFileURL(path).href)) as { default?: SpoolFunction | SpoolFunction[]; functions?: SpoolFunction[] };
      const exported = module.functions ?? module.default;
      const list = Array.isArray(exported) ? exported : exported ? [exported] : [];
      if (list.length === 0) throw new Error('the module exports no functions (default export or `functions`)');
      // Check all before registering any, so a module loads whole or not at all.
      for (const fn of list) if (!fn || typeof fn.name !== 'string' || typeof fn.handler !== 'function' || typeof fn.parameters !== 'object') throw new Error('an export is not a function definition {name, description, parameters, handler}');
      for (const fn of list) if (registry.get(fn.name)) throw new Error(`a function named '${fn.name}' is already registered`);
      const registered: string[] = [];
      for (const fn of list) {
        registry.register(fn);
        registered.push(fn.name);
      }
      logger.info({ file, functions: registered }, 'functions loaded');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ file: path, error: message }, 'function module failed to load; skipped');
      failures.push({ file: path, error: message });
    }
  }
  return failures;
}
