import { randomUUID } from 'node:crypto';
import { LlamaText, type ChatWrapper, type Llama, type LlamaGrammar } from 'node-llama-cpp';
import { LRUCache } from 'lru-cache';
import type { ChatMessage, GenerationRequest, ToolSpec } from '@spool/shared';
import { choiceGrammar, jsonSchemaGrammar } from './llamacpp-grammar.js';

/** How a request uses tools: not at all, at the model's choice, or a call it must make. */
export type ToolMode = { kind: 'none' } | { kind: 'auto'; tools: ToolSpec[] } | { kind: 'forced'; candidates: ToolSpec[] };

export function toolModeOf(request: GenerationRequest): ToolMode {
  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? 'auto';
  if (tools.length === 0 || choice === 'none') return { kind: 'none' };
  if (choice === 'auto') return { kind: 'auto', tools };
  if (choice === 'required') return { kind: 'forced', candidates: tools };
  return { kind: 'forced', candidates: tools.filter((tool) => tool.name === choice.name) };
}

/**
 * A system message naming the function(s) a forced call chooses from and their arguments' names.
 * The grammar writes the call and holds the arguments to their schema, so the prompt needs no schema:
 * on a small context (the embedded default has 512 tokens) the schema alone could fill it.
 */
export function forcedCallNote(candidates: ToolSpec[]): ChatMessage {
  const argumentNames = (tool: ToolSpec) => Object.keys((tool.parameters.properties as Record<string, unknown> | undefined) ?? {}).join(', ') || 'none';
  const lines = candidates.map((tool) => `${tool.name}${tool.description ? ` (${tool.description})` : ''}: arguments ${argumentNames(tool)}`);
  return { role: 'system', content: `Answer with a call of ${candidates.length === 1 ? 'this function' : 'one of these functions'}.\n${lines.join('\n')}` };
}

/**
 * A chat template's function-call syntax, e.g. Llama 2's `||call: name(args)`. The text before the
 * function name is what the model writes to start a call (`trigger`, with alternate spellings).
 */
export interface CallSyntax {
  triggers: (string | LlamaText)[];
  /** What the prompt gets before the name once a call starts. */
  head: LlamaText;
  /** What follows the name, up to the arguments. */
  beforeArguments: LlamaText;
}

export function callSyntaxOf(wrapper: ChatWrapper): CallSyntax {
  const call = wrapper.settings.functions.call;
  const prefix = call.prefix;
  // Some templates put the name inside the prefix ("<function={{functionName}}>").
  const [head, tail] = typeof prefix === 'string' && prefix.includes('{{functionName}}') ? prefix.split('{{functionName}}') : [prefix, ''];
  const alternates = (call.prefixAlternateMatches ?? []).filter((match) => typeof match !== 'string' || !match.includes('{{'));
  return {
    triggers: [head!, ...alternates],
    head: LlamaText(head!),
    beforeArguments: LlamaText([tail ?? '', call.paramsPrefix]),
  };
}

/** Whether a stop trigger that ended a generation is one of the call triggers. */
export function isCallTrigger(syntax: CallSyntax, trigger: readonly unknown[] | undefined): boolean {
  if (!trigger) return false;
  const text = trigger.filter((part) => typeof part === 'string').join('');
  return syntax.triggers.some((candidate) => LlamaText(candidate).toString() === text);
}

export const newToolCallId = () => `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;

/** GBNF grammars built once per distinct text; a LlamaGrammar is reusable across generations. */
export function createGrammarCache(llama: () => Llama, limit = 256) {
  // Least recently used goes first: a grammar in steady use is never rebuilt.
  const cache = new LRUCache<string, Promise<LlamaGrammar>>({ max: limit });
  const get = (grammar: string) => {
    let found = cache.get(grammar);
    if (!found) {
      found = llama().createGrammar({ grammar });
      const built = found;
      // A failed build is not kept; a newer entry under the same text is left alone.
      built.catch(() => cache.get(grammar) === built && cache.delete(grammar));
      cache.set(grammar, found);
    }
    return found;
  };
  return {
    forSchema: (schema: Record<string, unknown>) => get(jsonSchemaGrammar(schema)),
    forChoice: (options: string[]) => get(choiceGrammar(options)),
  };
}
export type GrammarCache = ReturnType<typeof createGrammarCache>;
