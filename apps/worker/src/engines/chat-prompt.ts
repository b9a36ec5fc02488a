import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatWrapper, LlamaText } from 'node-llama-cpp';
import { contentText, type ChatMessage, type ToolSpec } from '@spool/shared';

const parsedOrText = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * OpenAI messages as node-llama-cpp chat history, ending with an open model turn to complete. An
 * assistant's tool calls become the template's function calls, each with the `tool` message that
 * answers it as its result, so the model sees them in its own call syntax.
 */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const results = new Map<string, string>();
  for (const message of messages) if (message.role === 'tool') results.set(message.tool_call_id, contentText(message.content));
  const answered = new Set<string>();
  const history: ChatHistoryItem[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        history.push({ type: 'system', text: contentText(message.content) });
        break;
      case 'user':
        history.push({ type: 'user', text: contentText(message.content) });
        break;
      case 'assistant': {
        const text = contentText(message.content);
        const calls = (message.tool_calls ?? []).map((call): ChatModelFunctionCall => {
          answered.add(call.id);
          const result = results.get(call.id);
          return {
            type: 'functionCall',
            name: call.function.name,
            params: parsedOrText(call.function.arguments),
            result: result === undefined ? null : parsedOrText(result),
          };
        });
        history.push({ type: 'model', response: [...(text ? [text] : []), ...calls] });
        break;
      }
      case 'tool':
        // A result whose call is not in the history is shown as a user turn naming the call.
        if (!answered.has(message.tool_call_id)) history.push({ type: 'user', text: `Result of ${message.tool_call_id}: ${contentText(message.content)}` });
        break;
    }
  }
  history.push({ type: 'model', response: [] });
  return history;
}

/** Tools in the shape chat templates document them. */
export function toChatFunctions(tools: ToolSpec[]): ChatModelFunctions {
  return Object.fromEntries(tools.map((tool) => [tool.name, { description: tool.description, params: tool.parameters as never }]));
}

/** The prompt text of a chat with the model's template, and the template's own stop triggers. */
export function renderChat(wrapper: ChatWrapper, messages: ChatMessage[], tools: ToolSpec[] = []): { text: LlamaText; stops: LlamaText[] } {
  const state = wrapper.generateContextState({
    chatHistory: toChatHistory(messages),
    ...(tools.length > 0 ? { availableFunctions: toChatFunctions(tools) } : {}),
  });
  return { text: state.contextText, stops: state.stopGenerationTriggers };
}
