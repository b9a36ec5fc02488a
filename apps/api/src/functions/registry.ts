import { Ajv, type ValidateFunction } from 'ajv';
import { InvalidRequestError, NotFoundError, SpoolError, type JsonSchema, type Logger } from '@spool/shared';

/** What a handler gets besides its arguments. */
export interface FunctionContext {
  /** Aborted when the call runs past its time limit. */
  signal: AbortSignal;
  /** Tokens of `text` with a model's tokenizer (runs on one of the model's workers). */
  countTokens(model: string, text: string): Promise<number>;
}

/** A server-side function: what a plugin module exports. */
export interface SpoolFunction {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: JsonSchema;
  handler(args: Record<string, unknown>, context: FunctionContext): unknown;
  /** Time limit of one call; the registry's default when absent. */
  timeoutMs?: number;
  /** Largest JSON result in bytes; the registry's default when absent. */
  maxResultBytes?: number;
}

export interface FunctionRegistry {
  /** Adds a function; throws when its name is taken or its schema does not compile. */
  register(fn: SpoolFunction): void;
  get(name: string): SpoolFunction | undefined;
  list(): SpoolFunction[];
  /** Validates the arguments, runs the handler within its limits, and returns its result. */
  call(name: string, args: unknown): Promise<unknown>;
}

export interface RegistryOptions {
  timeoutMs: number;
  maxResultBytes: number;
  logger: Logger;
  countTokens: FunctionContext['countTokens'];
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export class FunctionTimeoutError extends SpoolError {
  constructor(name: string, ms: number) {
    super(504, `The function '${name}' did not finish within ${ms} ms.`, 'server_error', 'function_timeout');
  }
}

export function createFunctionRegistry(options: RegistryOptions): FunctionRegistry {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const functions = new Map<string, { fn: SpoolFunction; validate: ValidateFunction }>();

  async function run(fn: SpoolFunction, args: Record<string, unknown>): Promise<unknown> {
    const limit = fn.timeoutMs ?? options.timeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const overTime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new FunctionTimeoutError(fn.name, limit));
      }, limit);
    });
    try {
      return await Promise.race([Promise.resolve().then(() => fn.handler(args, { signal: controller.signal, countTokens: options.countTokens })), overTime]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    register(fn) {
      if (!NAME.test(fn.name)) throw new Error(`Invalid function name '${fn.name}'.`);
      if (functions.has(fn.name)) throw new Error(`A function named '${fn.name}' is already registered.`);
      if (typeof fn.handler !== 'function') throw new Error(`Function '${fn.name}' has no handler.`);
      functions.set(fn.name, { fn, validate: ajv.compile(fn.parameters) });
    },
    get: (name) => functions.get(name)?.fn,
    list: () => [...functions.values()].map(({ fn }) => fn),
    async call(name, args) {
      const entry = functions.get(name);
      if (!entry) throw new NotFoundError(`No function named '${name}' is registered.`, 'function_not_found', 'name');
      if (!entry.validate(args)) {
        const issue = entry.validate.errors![0]!;
        const where = issue.instancePath ? `'${issue.instancePath.slice(1).replaceAll('/', '.')}' ` : '';
        throw new InvalidRequestError(
          `Invalid arguments for '${name}': ${where}${issue.message}.`,
          issue.instancePath.slice(1).replaceAll('/', '.') || null,
          'invalid_arguments',
        );
      }
      let result: unknown;
      try {
        result = await run(entry.fn, args as Record<string, unknown>);
      } catch (error) {
        if (error instanceof SpoolError) throw error;
        options.logger.warn({ err: error, function: name }, 'function handler threw');
        throw new SpoolError(500, `The function '${name}' failed while running.`, 'server_error', 'function_error');
      }
      const bytes = Buffer.byteLength(JSON.stringify(result ?? null));
      const limit = entry.fn.maxResultBytes ?? options.maxResultBytes;
      if (bytes > limit)
        throw new SpoolError(500, `The result of '${name}' is ${bytes} bytes, over its limit of ${limit}.`, 'server_error', 'function_result_too_large');
      return result ?? null;
    },
  };
}
