import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';
import { ajv, messages, timeParameters, tools, validators } from './helpers/weather-tools.js';

describe('tools and structured output', () => {
  let spool: Spool;
  let worker: InProcessWorker;

  beforeAll(async () => {
    // Ten slots so that ten seeds decode together; the template's function docs need a longer context.
    spool = await startSpool({ MODEL_SLOTS: '10', MODEL_CONTEXT_SIZE: '1024' });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  /** Twenty seeds as two requests of ten choices (choice i runs seed + i). */
  async function twentySeeds(request: Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, 'n' | 'seed'>) {
    const answers = await Promise.all([0, 10].map((seed) => spool.client.chat.completions.create({ ...request, n: 10, seed, temperature: 1 })));
    return answers.flatMap((answer) => answer.choices);
  }

  function expectValidCalls(choices: OpenAI.Chat.Completions.ChatCompletion.Choice[], names: string[]) {
    expect(choices).toHaveLength(20);
    for (const choice of choices) {
      expect(choice.finish_reason).toBe('tool_calls');
      const call = choice.message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      expect(call.id).toMatch(/^call_/);
      expect(names).toContain(call.function.name);
      const args = JSON.parse(call.function.arguments);
      expect(validators[call.function.name]!(args), `${call.function.arguments}: ${JSON.stringify(validators[call.function.name]!.errors)}`).toBe(true);
    }
  }

  it('a named tool choice gives arguments that validate against its schema for 20 seeds', async () => {
    const choices = await twentySeeds({ model: MODEL, messages, tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 120 });
    expectValidCalls(choices, ['get_weather']);
  });

  it('a required tool choice calls one of the tools with valid arguments for 20 seeds', async () => {
    const choices = await twentySeeds({ model: MODEL, messages, tools, tool_choice: 'required', max_tokens: 120 });
    expectValidCalls(choices, ['get_weather', 'get_time']);
  });

  it('tool_choice none answers in text', async () => {
    const answer = await spool.client.chat.completions.create({ model: MODEL, messages, tools, tool_choice: 'none', max_tokens: 12, seed: 1 });
    expect(answer.choices[0]!.message.tool_calls).toBeUndefined();
    expect(answer.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(answer.choices[0]!.finish_reason).not.toBe('tool_calls');
  });

  it('streams tool calls whose pieces reassemble to the non-streamed call', async () => {
    const request = { model: MODEL, messages, tools, tool_choice: 'required' as const, max_tokens: 120, seed: 5, temperature: 0.8 };
    const whole = await spool.client.chat.completions.create(request);
    const stream = spool.client.chat.completions.stream(request);
    let pieces = 0;
    let firstPiece: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.tool_calls?.[0];
      if (delta) {
        firstPiece ??= delta;
        pieces += 1;
      }
    }
    const streamed = await stream.finalChatCompletion();
    expect(firstPiece!.id).toMatch(/^call_/);
    expect(firstPiece!.function!.name).toBe(
      whole.choices[0]!.message.tool_calls![0]!.type === 'function'
        ? (whole.choices[0]!.message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall).function.name
        : '',
    );
    expect(pieces).toBeGreaterThan(2);
    const strip = (calls: unknown) =>
      (calls as { function: { name: string; arguments: string } }[]).map(({ function: fn }) => ({ name: fn.name, arguments: fn.arguments }));
    expect(strip(streamed.choices[0]!.message.tool_calls)).toEqual(strip(whole.choices[0]!.message.tool_calls));
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('json_schema answers parse and validate for 20 seeds', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 16 },
        age: { type: 'integer', minimum: 0, maximum: 120 },
        score: { type: 'number', minimum: -5, maximum: 5 },
        mood: { enum: ['happy', 'sad'] },
        tags: { type: 'array', items: { type: 'string', maxLength: 6 }, maxItems: 3 },
      },
      required: ['name', 'age', 'score', 'mood', 'tags'],
      additionalProperties: false,
    };
    const validate = ajv.compile(schema);
    const choices = await twentySeeds({
      model: MODEL,
      messages: [{ role: 'user', content: 'Describe a person as JSON.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
      max_tokens: 150,
    });
    for (const choice of choices) {
      expect(choice.finish_reason).toBe('stop');
      expect(validate(JSON.parse(choice.message.content!)), choice.message.content!).toBe(true);
    }
  });

  it('json_object answers are JSON objects', async () => {
    const answer = await spool.client.chat.completions.create({ model: MODEL, messages, response_format: { type: 'json_object' }, max_tokens: 150, seed: 3 });
    if (answer.choices[0]!.finish_reason === 'stop') expect(typeof JSON.parse(answer.choices[0]!.message.content!)).toBe('object');
    else expect(answer.choices[0]!.message.content!.startsWith('{')).toBe(true);
  });

  it('says finish_reason length when an unbounded string runs out of tokens mid-JSON', async () => {
    const answer = await spool.client.chat.completions.create({
      model: MODEL,
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'story', schema: { type: 'object', properties: { story: { type: 'string' } }, required: ['story'] } },
      },
      max_tokens: 8,
      seed: 1,
    });
    expect(answer.choices[0]!.finish_reason).toBe('length');
    expect(() => JSON.parse(answer.choices[0]!.message.content!)).toThrow();
  });

  it('continues a conversation that carries a tool call and its result', async () => {
    const history: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      ...messages,
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":1}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"forecast":"sunny","high":24}' },
    ];
    const withResult = await spool.client.chat.completions.create({ model: MODEL, messages: history, tools, tool_choice: 'none', max_tokens: 10, seed: 2 });
    const without = await spool.client.chat.completions.create({ model: MODEL, messages, tools, tool_choice: 'none', max_tokens: 10, seed: 2 });
    expect(withResult.choices[0]!.message.content!.length).toBeGreaterThan(0);
    // The call and its result are part of the prompt the model saw.
    expect(withResult.usage!.prompt_tokens).toBeGreaterThan(without.usage!.prompt_tokens + 15);
    const next = await spool.client.chat.completions.create({
      model: MODEL,
      messages: history,
      tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      max_tokens: 60,
      seed: 2,
    });
    const call = next.choices[0]!.message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    expect(validators.get_time!(JSON.parse(call.function.arguments))).toBe(true);
  });

  it('answers legacy functions and function_call with a function_call', async () => {
    const answer = await spool.client.chat.completions.create({
      model: MODEL,
      messages,
      functions: [{ name: 'get_time', parameters: timeParameters }],
      function_call: { name: 'get_time' },
      max_tokens: 60,
      seed: 4,
    });
    const call = answer.choices[0]!.message.function_call!;
    expect(call.name).toBe('get_time');
    expect(validators.get_time!(JSON.parse(call.arguments))).toBe(true);
  });

  it('answers 400 naming a schema keyword it cannot enforce, and a tool_choice naming no tool', async () => {
    const bad = spool.client.chat.completions.create({
      model: MODEL,
      messages,
      tools: [
        { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { code: { type: 'string', pattern: '^(?!x)[A-Z]+$' } } } } },
      ],
    });
    await expect(bad).rejects.toMatchObject({ status: 400, code: 'unsupported_schema', param: 'tools[0].function.parameters' });
    await expect(bad).rejects.toThrow(/'pattern' at 'properties\.code\.pattern'.*lookarounds/);
    await expect(
      spool.client.chat.completions.create({ model: MODEL, messages, tools, tool_choice: { type: 'function', function: { name: 'nope' } } }),
    ).rejects.toMatchObject({ status: 400, param: 'tool_choice' });
    await expect(
      spool.client.chat.completions.create({
        model: MODEL,
        messages,
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'number', minimum: 1e-7 } } },
      }),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_schema', param: 'response_format.json_schema.schema' });
  });
});
