import { EventSourceParserStream } from 'eventsource-parser/stream';

/** The timings and token count of one streamed chat request. */
export interface StreamTiming {
  ttftMs: number;
  totalMs: number;
  completionTokens: number;
}

type Chunk = { choices?: { delta?: { content?: string } }[]; usage?: { completion_tokens: number } | null };

/**
 * Sends one streamed chat completion and reads it to the end. Events are parsed as SSE; a chunk's
 * JSON is parsed only while the first token is awaited and for the usage chunk at the end, so the
 * client's own work stays small next to the server's.
 */
export async function streamChat(baseUrl: string, body: object, headers: Record<string, string> = {}): Promise<StreamTiming> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  let ttftMs = NaN;
  let completionTokens = 0;
  const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const event of events) {
    if (event.data === '[DONE]') continue;
    const waitingForFirst = Number.isNaN(ttftMs);
    if (!waitingForFirst && !event.data.includes('"usage":{')) continue;
    const chunk = JSON.parse(event.data) as Chunk;
    if (waitingForFirst && chunk.choices?.some((choice) => choice.delta?.content)) ttftMs = performance.now() - started;
    if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
  }
  return { ttftMs, totalMs: performance.now() - started, completionTokens };
}
