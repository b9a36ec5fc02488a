import type { JsonSchema, ThreadError } from '@spool/shared';

/** What a plugin function tells the API about itself: everything but its handler, which stays in the thread. */
export interface PluginDefinition {
  name: string;
  description: string;
  parameters: JsonSchema;
  timeoutMs?: number;
  maxResultBytes?: number;
}

/** One module of FUNCTIONS_DIR as the plugin thread found it: its functions, or why it was skipped. */
export type ModuleLoad = { file: string; functions: PluginDefinition[] } | { file: string; error: string };

/** Messages from the API to a plugin thread. */
export type ToPluginThread =
  { type: 'call'; name: string; args: Record<string, unknown> } | { type: 'counted'; id: number; tokens?: number; error?: ThreadError };

/** Messages from a plugin thread: its modules once loaded, a call's result, a token count it needs. */
export type FromPluginThread =
  | { type: 'loaded'; modules: ModuleLoad[] }
  | { type: 'result'; json?: string; error?: ThreadError }
  | { type: 'count'; id: number; model: string; text: string };
