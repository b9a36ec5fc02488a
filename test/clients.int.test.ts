import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, tool } from '@openai/agents';
import { generateObject, generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

/**
 * The client libraries people point at an OpenAI-compatible server, each in its default mode, which
 * is the Responses API (`POST /v1/responses`), against the real model. The tiny model writes
 * nonsense: these check shapes, structure and grammar-constrained output, never wording.
 */
describe('client libraries on the Responses API', () => {
  let spool: Spool;
  let worker: InProcessWorker;
  const baseURL = () => `${spool.url}/v1`;
  const apiKey = 'unused';

  beforeAll(async () => {
    // The agent's tool schema and instructions need more than the default context.
    spool = await startSpool({ MODEL_SLOTS: '4', MODEL_CONTEXT_SIZE: '1024' });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  describe('Vercel AI SDK (@ai-sdk/openai default provider)', () => {
    const model = () => createOpenAI({ baseURL: baseURL(), apiKey })(MODEL);

    it('generateText answers with text, a finish reason and usage', async () => {
      const result = await generateText({ model: model(), prompt: 'Once upon a time', maxOutputTokens: 20 });
      expect(typeof result.text).toBe('string');
      expect(['stop', 'length']).toContain(result.finishReason);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(result.response.id).toMatch(/^resp_/);
    });

    it('generateObject returns an object that parses against its zod schema', async () => {
      const schema = z.object({ name: z.string().max(10), age: z.number().int().min(1).max(9), kind: z.enum(['cat', 'dog']) });
      const result = await generateObject({ model: model(), schema, prompt: 'A pet', maxOutputTokens: 80 });
      expect(schema.parse(result.object)).toEqual(result.object);
    });

    it('streamText streams deltas that add up to the final text', async () => {
      const result = streamText({ model: model(), prompt: 'Tell me a story', maxOutputTokens: 24 });
      const pieces: string[] = [];
      for await (const piece of result.textStream) pieces.push(piece);
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.join('')).toBe(await result.text);
      expect((await result.usage).outputTokens).toBeGreaterThan(0);
    });
  });

  it('LangChain ChatOpenAI with useResponsesApi answers a message with usage', async () => {
    const chat = new ChatOpenAI({ model: MODEL, apiKey, configuration: { baseURL: baseURL() }, useResponsesApi: true, maxTokens: 16, maxRetries: 0 });
    const message = await chat.invoke('Tell me a story');
    expect(typeof message.content === 'string' || Array.isArray(message.content)).toBe(true);
    expect(message.text.length).toBeGreaterThan(0);
    expect(message.usage_metadata?.output_tokens).toBeGreaterThan(0);
    expect(message.id).toMatch(/^resp_|^msg_/);
  });

  it('@openai/agents runs a tool-calling turn: the forced call reaches the function, its output goes back, the run ends', async () => {
    setDefaultOpenAIClient(new OpenAI({ baseURL: baseURL(), apiKey, maxRetries: 0 }));
    setOpenAIAPI('responses');
    setTracingDisabled(true);
    const calls: unknown[] = [];
    const getWeather = tool({
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: z.object({ city: z.string().max(12) }),
      execute: async (input) => {
        calls.push(input);
        return `Sunny in ${input.city}`;
      },
    });
    const agent = new Agent({
      name: 'Weather',
      instructions: 'Answer weather questions.',
      model: MODEL,
      tools: [getWeather],
      // The tiny model would not call it unasked; after the call the SDK resets the choice to auto.
      modelSettings: { toolChoice: 'get_weather', maxTokens: 40 },
    });
    const result = await run(agent, 'What is the weather in Paris?', { maxTurns: 3 });
    expect(calls).toHaveLength(1);
    expect(z.object({ city: z.string().max(12) }).parse(calls[0])).toEqual(calls[0]);
    const types = result.newItems.map((item) => item.type);
    expect(types.slice(0, 2)).toEqual(['tool_call_item', 'tool_call_output_item']);
    expect(result.rawResponses.length).toBeGreaterThanOrEqual(2);
    expect(result.rawResponses[0]!.responseId).toMatch(/^resp_/);
    expect(typeof result.finalOutput).toBe('string');
  });
});
