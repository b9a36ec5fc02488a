import { toFile } from 'openai';
import type OpenAI from 'openai';
import type { Batch } from 'openai/resources/batches';

/** Chat request lines for a batch input file, `count` of them with custom_ids `task-0`.. */
export function chatLines(count: number, options: { model: string; maxTokens: number; prefix?: string }): object[] {
  return Array.from({ length: count }, (_, index) => ({
    custom_id: `${options.prefix ?? 'task'}-${index}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: options.model, messages: [{ role: 'user', content: `Tell me story number ${index}` }], max_tokens: options.maxTokens, temperature: 0 },
  }));
}

export const jsonl = (lines: (object | string)[]) => lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';

export async function uploadBatchFile(client: OpenAI, text: string, name = 'input.jsonl') {
  return client.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'batch' });
}

/** Polls until the batch leaves validating/in_progress/finalizing/cancelling (or until `until` holds). */
export async function waitForBatch(
  client: OpenAI,
  id: string,
  until: (batch: Batch) => boolean = (batch) => ['completed', 'failed', 'cancelled', 'expired'].includes(batch.status),
  timeoutMs = 50_000,
): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (until(batch)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms: ${JSON.stringify(batch.request_counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The parsed lines of a file's content. */
export async function fileLines(
  client: OpenAI,
  fileId: string | null | undefined,
): Promise<{ custom_id: string; response: { status_code: number; body: any } | null; error: { code: string; message: string } | null }[]> {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
