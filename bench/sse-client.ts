/** The timings and token count of one streamed chat request, read as a plain SSE body. */
export interface StreamTiming {
  ttftMs: number;
  totalMs: number;
  completionTokens: number;
}

/** Sends one streamed chat completion and reads it to the end with minimal client-side work. */
export async function streamChat(baseUrl: string, body: object, headers: Record<string, string> = {}): Promise<StreamTiming> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  let ttftMs = NaN;
  let tail = '';
  const decoder = new TextDecoder();
  for await (const bytes of response.body) {
    const text = decoder.decode(bytes, { stream: true });
    if (Number.isNaN(ttftMs) && text.includes('"content":"') && /"content":"[^"]/.test(text)) ttftMs = performance.now() - started;
    tail = (tail + text).slice(-2000);
  }
  const usage = /"usage":\{"prompt_tokens":\d+,"completion_tokens":(\d+)/.exec(tail);
  return { ttftMs, totalMs: performance.now() - started, completionTokens: Number(usage?.[1] ?? 0) };
}
