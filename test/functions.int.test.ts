import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const plugin = `
export const functions = [
  { name: 'slow', description: 'Sleeps past its limit', parameters: { type: 'object' }, timeoutMs: 100,
    handler: () => new Promise((resolve) => setTimeout(() => resolve('late'), 2000)) },
  { name: 'explode', description: 'Always throws', parameters: { type: 'object' },
    handler: () => { throw new Error('secret internal detail at /srv/app.js:12'); } },
  { name: 'shout', description: 'Upper-cases a word', parameters: { type: 'object', properties: { word: { type: 'string', maxLength: 20 } }, required: ['word'], additionalProperties: false },
    handler: ({ word }) => word.toUpperCase() },
  { name: 'huge', description: 'Returns too much', parameters: { type: 'object' }, maxResultBytes: 100, handler: () => 'x'.repeat(1000) },
  { name: 'spin', description: 'Never returns and never yields', parameters: { type: 'object' }, timeoutMs: 3000, handler: () => { while (true) {} } },
  { name: 'count_words_and_tokens', description: 'Uses the context from a plugin thread', parameters: { type: 'object' },
    handler: async ({ text, model }, context) => ({ words: text.split(' ').length, tokens: await context.countTokens(model, text) }) },
];
`;

describe('server-side functions', () => {
  let spool: Spool;
  let worker: InProcessWorker;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-functions-'));
    writeFileSync(join(dir, 'good.mjs'), plugin);
    writeFileSync(join(dir, 'broken.mjs'), 'export const functions = [ { name: ');
    writeFileSync(join(dir, 'clash.mjs'), "export default { name: 'calculate', description: 'x', parameters: { type: 'object' }, handler: () => 1 };");
    spool = await startSpool({ FUNCTIONS_DIR: dir, FUNCTIONS_MAX_ROUNDS: '2', MODEL_CONTEXT_SIZE: '1024' });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (name: string, body: unknown) => spool.client.post(`/functions/${name}`, { body }) as Promise<{ name: string; result: any }>;

  it('lists built-ins and loaded plugins in OpenAI tool format, skipping modules that fail to load', async () => {
    const list = (await spool.client.get('/functions')) as { object: string; data: OpenAI.Chat.Completions.ChatCompletionFunctionTool[] };
    const names = list.data.map((tool) => tool.function.name).sort();
    expect(names).toEqual(['calculate', 'count_tokens', 'count_words_and_tokens', 'explode', 'get_current_time', 'huge', 'shout', 'slow', 'spin']);
    expect(list.data.find((tool) => tool.function.name === 'calculate')).toMatchObject({
      type: 'function',
      function: { parameters: { required: ['expression'] } },
    });
    const failures = spool.api.deps.functions.loadFailures.map((failure) => failure.file.split('/').pop()).sort();
    expect(failures).toEqual(['broken.mjs', 'clash.mjs']);
  });

  it('calls functions with good arguments', async () => {
    expect(await call('calculate', { expression: '2 + 3 * (4 - 1) ^ 2 / 9' })).toEqual({
      name: 'calculate',
      result: { expression: '2 + 3 * (4 - 1) ^ 2 / 9', value: 5 },
    });
    expect((await call('shout', { word: 'hey' })).result).toBe('HEY');
    const time = await call('get_current_time', { timezone: 'Asia/Tokyo' });
    expect(time.result.timezone).toBe('Asia/Tokyo');
    expect(time.result.utc_offset).toBe('+09:00');
    expect(Math.abs(time.result.unix - Date.now() / 1000)).toBeLessThan(5);
    const counted = await call('count_tokens', { model: MODEL, text: 'Once upon a time' });
    expect(counted.result.tokens).toBe(
      await worker.engine.countPromptTokens({
        kind: 'completion',
        prompt: 'Once upon a time',
        temperature: 0,
        topP: 1,
        stop: [],
        presencePenalty: 0,
        frequencyPenalty: 0,
      }),
    );
    expect(counted.result.tokens).toBeGreaterThan(3);
  });

  it('answers 400 for bad arguments, 404 for unknown names, 504 past the time limit and 500 without details when a handler throws', async () => {
    await expect(call('calculate', {})).rejects.toMatchObject({ status: 400, code: 'invalid_arguments' });
    await expect(call('calculate', { expression: '2 +' })).rejects.toMatchObject({ status: 400, code: 'invalid_expression' });
    await expect(call('calculate', { expression: 'process.exit(1)' })).rejects.toMatchObject({ status: 400 });
    await expect(call('shout', { word: 'x', extra: 1 })).rejects.toMatchObject({ status: 400, code: 'invalid_arguments' });
    await expect(call('get_current_time', { timezone: 'Mars/Olympus' })).rejects.toMatchObject({ status: 400 });
    await expect(call('nope', {})).rejects.toMatchObject({ status: 404, code: 'function_not_found' });
    await expect(call('slow', {})).rejects.toMatchObject({ status: 504, code: 'function_timeout' });
    const thrown = await call('explode', {}).catch((error: InstanceType<typeof OpenAI.APIError>) => error);
    expect(thrown).toMatchObject({ status: 500, code: 'function_error' });
    expect(JSON.stringify((thrown as InstanceType<typeof OpenAI.APIError>).error)).not.toMatch(/secret|srv|at /);
    await expect(call('huge', {})).rejects.toMatchObject({ status: 500, code: 'function_result_too_large' });
  });

  it('runs a plugin that never yields on a thread of its own: the API keeps answering, the call fails with 504 function_timeout, and the next call works', async () => {
    const spinning = call('spin', {}).catch((error: InstanceType<typeof OpenAI.APIError>) => error);
    // While the plugin spins, the API's event loop is free: /health answers, and so does another plugin call (on the other thread).
    let healthChecks = 0;
    let settled = false;
    void spinning.then(() => (settled = true));
    while (!settled) {
      const health = await fetch(`${spool.url}/health`);
      expect(health.status).toBe(200);
      healthChecks += 1;
      if (healthChecks === 1) expect((await call('shout', { word: 'busy' })).result).toBe('BUSY');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(healthChecks).toBeGreaterThanOrEqual(3);
    const failed = await spinning;
    expect(failed).toMatchObject({ status: 504, code: 'function_timeout', type: 'server_error' });
    expect((failed as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ message: expect.stringContaining("'spin'") });
    // The terminated thread is replaced: plugin calls, one after another and at once, still work.
    expect((await call('shout', { word: 'again' })).result).toBe('AGAIN');
    const together = await Promise.all(['a', 'b', 'c'].map((word) => call('shout', { word })));
    expect(together.map((answer) => answer.result)).toEqual(['A', 'B', 'C']);
  });

  it('gives a plugin on its thread the token counter of the API', async () => {
    const answer = await call('count_words_and_tokens', { model: MODEL, text: 'Once upon a time' });
    expect(answer.result).toEqual({ words: 4, tokens: (await call('count_tokens', { model: MODEL, text: 'Once upon a time' })).result.tokens });
  });

  it('runs calculate end to end with spool_execute_tools and returns the final answer with the calls it made', async () => {
    const answer = (await spool.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'What is 2 + 3 * 4?' }],
      // A registry function named by name alone, forced for the first round.
      tools: [{ type: 'function', function: { name: 'calculate' } } as OpenAI.Chat.Completions.ChatCompletionFunctionTool],
      tool_choice: { type: 'function', function: { name: 'calculate' } },
      max_tokens: 60,
      seed: 3,
      spool_execute_tools: true,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)) as OpenAI.Chat.Completions.ChatCompletion & { spool_tool_calls: any[] };
    expect(answer.spool_tool_calls.length).toBeGreaterThanOrEqual(1);
    const first = answer.spool_tool_calls[0];
    expect(first).toMatchObject({ round: 0, name: 'calculate' });
    expect(typeof JSON.parse(first.arguments).expression).toBe('string');
    // The tiny model's expression is rarely arithmetic: the registry's answer is a value or a clear error.
    expect(first.result?.value !== undefined || /Cannot evaluate/.test(first.error?.message)).toBe(true);
    expect(answer.choices[0]!.finish_reason).not.toBe('tool_calls');
    expect(typeof answer.choices[0]!.message.content).toBe('string');
    expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('computes a real result when the schema narrows the expression', async () => {
    const answer = (await spool.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'What is 2 + 3 * 4?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'calculate',
            parameters: { type: 'object', properties: { expression: { enum: ['2 + 3 * 4'] } }, required: ['expression'], additionalProperties: false },
          },
        },
      ],
      tool_choice: 'required',
      max_tokens: 40,
      seed: 1,
      spool_execute_tools: true,
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)) as OpenAI.Chat.Completions.ChatCompletion & { spool_tool_calls: any[] };
    expect(answer.spool_tool_calls[0]).toMatchObject({ name: 'calculate', result: { value: 14 } });
    expect(answer.spool_tool_calls.length).toBeLessThanOrEqual(2);
  });
});
