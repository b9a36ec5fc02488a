import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import type { Batch } from 'openai/resources/batches';
import { loadConfig } from '@spool/shared';

const USAGE = `Usage:
  spool batch submit FILE [--model M] [--max-tokens N] [--endpoint /v1/chat/completions|/v1/completions] [--wait]
  spool batch status ID
  spool batch download ID [--out FILE] [--errors FILE]
FILE holds one request a line: a Batch API line ({"custom_id","method","url","body"}), a bare request
body, or plain text (sent as a user message). --model sets every line's model; --max-tokens sets
max_tokens where a line has none. Talks to SPOOL_URL
(default http://127.0.0.1:8000) with the token in SPOOL_API_KEY.`;

const DONE = ['completed', 'failed', 'cancelled', 'expired'];

function client(): OpenAI {
  const config = loadConfig();
  return new OpenAI({ baseURL: `${config.SPOOL_URL.replace(/\/$/, '')}/v1`, apiKey: config.SPOOL_API_KEY ?? 'none' });
}

/** Turns each line of the user's file into a Batch API request line. */
function toRequestLine(text: string, index: number, options: { model?: string; maxTokens?: number; endpoint: string }): object {
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Plain text: a user message.
  }
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  const record = isObject ? (value as Record<string, unknown>) : undefined;
  const line =
    record && 'body' in record
      ? { ...record, body: { ...(record.body as object) } }
      : {
          custom_id: `line-${index + 1}`,
          method: 'POST',
          url: options.endpoint,
          body: record ?? (options.endpoint === '/v1/completions' ? { prompt: text } : { messages: [{ role: 'user', content: text }] }),
        };
  const body = line.body as Record<string, unknown>;
  if (options.model) body.model = options.model;
  if (options.maxTokens !== undefined && body.max_tokens == null && body.max_completion_tokens == null) body.max_tokens = options.maxTokens;
  return line;
}

function progressBar(batch: Batch): string {
  const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 };
  const done = counts.completed + counts.failed;
  const share = counts.total > 0 ? done / counts.total : 0;
  const width = 30;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${done}/${counts.total} (${counts.failed} failed) ${batch.status}`;
}

async function waitWithProgress(openai: OpenAI, id: string): Promise<Batch> {
  let last = '';
  let lastPrintedAt = 0;
  for (;;) {
    const batch = await openai.batches.retrieve(id);
    const bar = progressBar(batch);
    if (process.stderr.isTTY) process.stderr.write(`\r${bar}`);
    else if (bar !== last && (Date.now() - lastPrintedAt > 2000 || DONE.includes(batch.status))) {
      process.stderr.write(`${bar}\n`);
      lastPrintedAt = Date.now();
    }
    last = bar;
    if (DONE.includes(batch.status)) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      return batch;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function maxTokens(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--max-tokens must be a positive integer, not '${value}'.`);
  return parsed;
}

async function submit(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      'max-tokens': { type: 'string' },
      endpoint: { type: 'string', default: '/v1/chat/completions' },
      wait: { type: 'boolean', default: false },
    },
  });
  const [path] = positionals;
  if (!path) throw new Error(USAGE);
  const directory = await mkdtemp(join(tmpdir(), 'spool-batch-'));
  const upload = join(directory, 'input.jsonl');
  try {
    let index = 0;
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    await pipeline(
      Readable.from(
        (async function* () {
          for await (const text of lines) {
            if (text.trim() === '') continue;
            yield `${JSON.stringify(toRequestLine(text, index, { model: values.model, maxTokens: maxTokens(values['max-tokens']), endpoint: values.endpoint! }))}\n`;
            index += 1;
          }
        })(),
      ),
      createWriteStream(upload),
    );
    const openai = client();
    const file = await openai.files.create({ file: createReadStream(upload), purpose: 'batch' });
    const batch = await openai.batches.create({ input_file_id: file.id, endpoint: values.endpoint as '/v1/chat/completions', completion_window: '24h' });
    console.log(batch.id);
    if (!values.wait) return;
    const final = await waitWithProgress(openai, batch.id);
    for (const error of final.errors?.data ?? []) process.stderr.write(`line ${error.line ?? '-'}: ${error.message}\n`);
    process.stderr.write(`${final.status}: output ${final.output_file_id ?? '-'}, errors ${final.error_file_id ?? '-'}\n`);
    if (final.status !== 'completed') process.exitCode = 1;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function status(argv: string[]): Promise<void> {
  const [id] = argv;
  if (!id) throw new Error(USAGE);
  console.log(JSON.stringify(await client().batches.retrieve(id), null, 2));
}

async function writeFileContent(openai: OpenAI, fileId: string, out: string | undefined): Promise<void> {
  const response = await openai.files.content(fileId);
  const body = Readable.fromWeb(response.body! as never);
  if (out) await pipeline(body, createWriteStream(out));
  else await pipeline(body, process.stdout, { end: false });
}

async function download(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, errors: { type: 'string' } } });
  const [id] = positionals;
  if (!id) throw new Error(USAGE);
  const openai = client();
  const batch = await openai.batches.retrieve(id);
  if (!batch.output_file_id && !batch.error_file_id) throw new Error(`Batch ${id} is ${batch.status} and has no output yet.`);
  if (batch.output_file_id) await writeFileContent(openai, batch.output_file_id, values.out);
  if (batch.error_file_id) {
    if (values.errors) await writeFileContent(openai, batch.error_file_id, values.errors);
    else process.stderr.write(`${batch.request_counts?.failed ?? 0} requests failed; fetch them with --errors FILE (file ${batch.error_file_id}).\n`);
  }
}

export async function run(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const actions: Record<string, (argv: string[]) => Promise<void>> = { submit, status, download };
  const handler = actions[action ?? ''];
  if (!handler) throw new Error(USAGE);
  await handler(rest);
}
