/**
 * A plugin thread: imports FUNCTIONS_DIR's modules and runs their handlers, one call at a time, off
 * the API's event loop. See plugin-host.ts.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { fromThreadError, toThreadError } from '@spool/shared';
import type { FromPluginThread, ModuleLoad, ToPluginThread } from './plugin-protocol.js';
import type { SpoolFunction } from './registry.js';

const port = parentPort!;
const send = (message: FromPluginThread) => port.postMessage(message);
const MODULE = /\.(m?js|ts|mts)$/;
const handlers = new Map<string, SpoolFunction['handler']>();
const counts = new Map<number, { resolve(tokens: number): void; reject(error: Error): void }>();
let nextCount = 0;

/** Imports every module of `dir`; a module that fails to import or exports nothing usable is reported, not fatal. */
async function importModules(dir: string): Promise<ModuleLoad[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => MODULE.test(file) && !file.endsWith('.d.ts')).sort();
  } catch (error) {
    return [{ file: dir, error: (error as Error).message }];
  }
  const loads: ModuleLoad[] = [];
  for (const file of files) {
    const path = resolve(join(dir, file));
    try {
      const module = (await import(pathToFileURL(path).href)) as { default?: SpoolFunction | SpoolFunction[]; functions?: SpoolFunction[] };
      const exported = module.functions ?? module.default;
      const list = Array.isArray(exported) ? exported : exported ? [exported] : [];
      if (list.length === 0) throw new Error('the module exports no functions (default export or `functions`)');
      for (const fn of list)
        if (!fn || typeof fn.name !== 'string' || typeof fn.handler !== 'function' || typeof fn.parameters !== 'object')
          throw new Error('an export is not a function definition {name, description, parameters, handler}');
      // The first module to export a name keeps it, as the API's registry decides.
      for (const fn of list) if (!handlers.has(fn.name)) handlers.set(fn.name, fn.handler);
      loads.push({
        file: path,
        functions: list.map(({ name, description, parameters, timeoutMs, maxResultBytes }) => ({ name, description, parameters, timeoutMs, maxResultBytes })),
      });
    } catch (error) {
      loads.push({ file: path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return loads;
}

/** Token counts run as jobs, which only the API can submit: ask it. */
function countTokens(model: string, text: string): Promise<number> {
  const id = (nextCount += 1);
  return new Promise((resolve, reject) => {
    counts.set(id, { resolve, reject });
    send({ type: 'count', id, model, text });
  });
}

async function call(name: string, args: Record<string, unknown>): Promise<void> {
  try {
    const handler = handlers.get(name);
    if (!handler) throw new Error(`No plugin function named '${name}'.`);
    // Past its limit the whole thread is terminated, so the signal never needs to fire here.
    const result = await handler(args, { signal: new AbortController().signal, countTokens });
    send({ type: 'result', json: JSON.stringify(result ?? null) });
  } catch (error) {
    send({ type: 'result', error: toThreadError(error) });
  }
}

port.on('message', (message: ToPluginThread) => {
  if (message.type === 'call') void call(message.name, message.args);
  if (message.type === 'counted') {
    const count = counts.get(message.id);
    counts.delete(message.id);
    if (message.error) count?.reject(fromThreadError(message.error));
    else count?.resolve(message.tokens!);
  }
});

send({ type: 'loaded', modules: await importModules((workerData as { dir: string }).dir) });
