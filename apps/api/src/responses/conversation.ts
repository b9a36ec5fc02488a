import { responseInputItemSchema, type ChatMessage, type ResponseCreateRequest, type ResponseInputItem } from '@spool/shared';
import { z } from 'zod';

/** An item of a conversation as the Responses API lists it: with an id, content as parts. */
export type ConversationItem =
  | { id: string; type: 'message'; role: 'user' | 'system' | 'developer'; status: 'completed'; content: { type: 'input_text'; text: string }[] }
  | { id: string; type: 'message'; role: 'assistant'; status: 'completed' | 'incomplete'; content: { type: 'output_text'; text: string; annotations: [] }[] }
  | { id: string; type: 'function_call'; status: 'completed' | 'incomplete'; call_id: string; name: string; arguments: string }
  | { id: string; type: 'function_call_output'; status: 'completed'; call_id: string; output: string };

// Parsed under its field name, so that a bad item's error names `input[2].call_id`.
const inputSchema = z.object({ input: z.array(responseInputItemSchema) });

const textOf = (content: string | { type: string; text?: string; refusal?: string }[]): string =>
  typeof content === 'string' ? content : content.map((part) => part.text ?? part.refusal ?? '').join('');

function itemOf(item: ResponseInputItem, id: string): ConversationItem {
  if (item.type === 'function_call') {
    return { id: item.id ?? id, type: 'function_call', status: 'completed', call_id: item.call_id, name: item.name, arguments: item.arguments };
  }
  if (item.type === 'function_call_output') {
    return { id: item.id ?? id, type: 'function_call_output', status: 'completed', call_id: item.call_id, output: textOf(item.output) };
  }
  const text = textOf(item.content);
  if (item.role === 'assistant') {
    return { id: item.id ?? id, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
  }
  return { id: item.id ?? id, type: 'message', role: item.role, status: 'completed', content: [{ type: 'input_text', text }] };
}

/**
 * A request's `input` as conversation items, each with an id (the client's, else one derived
 * from the response's id). Kinds Spool cannot serve were refused before this.
 */
export function inputItemsOf(body: ResponseCreateRequest, idHex: string): ConversationItem[] {
  const items = typeof body.input === 'string' ? [{ role: 'user' as const, content: body.input }] : inputSchema.parse({ input: body.input }).input;
  return items.map((item, index) => itemOf(item, `${item.type === 'function_call_output' ? 'fco' : 'msg'}_${idHex}_${index}`));
}

/**
 * The chat messages of a conversation: `instructions` as the system message, function calls of
 * one turn merged into one assistant message with `tool_calls`, their outputs as tool messages.
 */
export function chatMessagesOf(instructions: string | null | undefined, items: ConversationItem[]): ChatMessage[] {
  const messages: ChatMessage[] = instructions ? [{ role: 'system', content: instructions }] : [];
  for (const item of items) {
    const last = messages.at(-1);
    switch (item.type) {
      case 'message': {
        const text = item.content.map((part) => part.text).join('');
        messages.push(item.role === 'assistant' ? { role: 'assistant', content: text } : { role: item.role, content: text });
        break;
      }
      case 'function_call': {
        const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: item.arguments } };
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', content: item.output, tool_call_id: item.call_id });
        break;
    }
  }
  return messages;
}
