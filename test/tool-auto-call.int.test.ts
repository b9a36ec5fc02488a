import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_MODEL_SOURCE, findModelFile } from '@spool/shared';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { waitForModel } from './helpers/gpu-harness.js';
import { startInProcessWorker, startSpool, testEnv, type InProcessWorker, type Spool } from './helpers/spool-harness.js';
import { writeToolCallingModel } from './helpers/tool-calling-model.js';
import { messages, tools, validators, weatherParameters } from './helpers/weather-tools.js';

// `tool_choice: auto` on the llama.cpp engine: the model decides to call by writing its template's
// call trigger; the engine must notice it and decode the call under the tool's schema. stories260K
// never writes the trigger, so these tests run a copy of it rewired to always write it (see
// helpers/tool-calling-model.ts); engine, template, triggers and grammars are the real ones.
const MODEL = 'tool-caller';
function expectValidCall(call: { name: string; arguments: string }, names: string[]) {
  expect(names).toContain(call.name);
  expect(validators[call.name]!(JSON.parse(call.arguments)), call.arguments).toBe(true);
}

describe('tool_choice auto on llama.cpp', () => {
  let dir: string;
  let spool: Spool;
  let worker: InProcessWorker;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-tool-caller-'));
    const source = await writeToolCallingModel(findModelFile(EMBEDDED_MODEL_SOURCE, testEnv().SPOOL_MODEL_PATH!)!, dir);
    const modelsFile = join(dir, 'models.yaml');
    // The Llama 2 template's function docs need more than the default 512 tokens.
    writeFileSync(modelsFile, stringify({ models: [{ id: MODEL, engine: 'llamacpp', source, options: { contextSize: 1024, slots: 4 } }] }));
    spool = await startSpool({ MODELS_FILE: modelsFile });
    worker = await startInProcessWorker(spool.config);
    await waitForModel(spool, MODEL);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers with a call the model chose to make, its arguments valid under the schema, for 8 seeds', async () => {
    // tool_choice is left unset: with tools, OpenAI's default is auto.
    const answer = await spool.client.chat.completions.create({ model: MODEL, messages, tools: tools.slice(0, 1), n: 8, seed: 1, max_tokens: 120 });
    expect(answer.choices).toHaveLength(8);
    for (const choice of answer.choices) {
      expect(choice.finish_reason).toBe('tool_calls');
      // The trigger the model wrote is not shown as text.
      expect(choice.message.content ?? '').not.toContain('||call');
      const call = choice.message.tool_calls![0]! as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      expect(call.id).toMatch(/^call_/);
      expectValidCall(call.function, ['get_weather']);
    }
    expect(answer.usage!.completion_tokens).toBeGreaterThan(4);
  });

  it('picks among several tools by name and streams the call in pieces', async () => {
    const stream = spool.client.chat.completions.stream({ model: MODEL, messages, tools, tool_choice: 'auto', seed: 7, max_tokens: 120 });
    let pieces = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta.tool_calls) pieces += 1;
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expectValidCall((final.choices[0]!.message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall).function, [
      'get_weather',
      'get_time',
    ]);
    expect(pieces).toBeGreaterThan(2);
  });

  it('writes the same trigger as plain text when tools are off', async () => {
    for (const request of [{ tools, tool_choice: 'none' as const }, {}]) {
      const answer = await spool.client.chat.completions.create({ model: MODEL, messages, seed: 1, max_tokens: 20, ...request });
      expect(answer.choices[0]!.message.tool_calls).toBeUndefined();
      expect(answer.choices[0]!.message.content).toBe('||call:');
      expect(answer.choices[0]!.finish_reason).toBe('stop');
    }
  });

  it('gives a function_call output item through the Responses API', async () => {
    const response = await spool.client.responses.create({
      model: MODEL,
      input: 'What is the weather in Paris?',
      tools: [{ type: 'function', name: 'get_weather', parameters: weatherParameters, strict: true }],
      max_output_tokens: 120,
    });
    const call = response.output.find((item) => item.type === 'function_call');
    expect(call, JSON.stringify(response.output)).toBeDefined();
    expectValidCall(call as OpenAI.Responses.ResponseFunctionToolCall, ['get_weather']);
  });
});
