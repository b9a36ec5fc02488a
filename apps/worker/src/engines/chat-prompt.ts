import type { ChatHistoryItem, ChatWrapper, LlamaModel, LlamaText } from 'node-llama-cpp';
import { contentText, type ChatMessage } from '@spool/shared';

/** OpenAI messages as node-llama-cpp chat history, ending with an open model turn to complete. */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
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
        const calls = (message.tool_calls ?? []).map((call) => `${call.function.name}(${call.function.arguments})`);
        history.push({ type: 'model', response: [[contentText(message.content), ...calls].filter(Boolean).join('\n')] });
        break;
      }
      case 'tool':
        // The model sees a tool's result as a user turn naming the call it answers.
        history.push({ type: 'user', text: `Result of ${message.tool_call_id}: ${contentText(message.content)}` });
        break;
    }
  }
  history.push({ type: 'model', response: [] });
  return history;
}

/** The prompt text of a chat with the model's template, and the template's own stop triggers. */
export function renderChat(wrapper: ChatWrapper, messages: ChatMessage[]): { text: LlamaText; stops: LlamaText[] } {
  const state = wrapper.generateContextState({ chatHistory: toChatHistory(messages) });
  return { text: state.contextText, stops: state.stopGenerationTriggers };
}

export type { LlamaModel };
