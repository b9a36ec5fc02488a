import { describe, expect, it } from 'vitest';
import { MODEL, useSpool } from './helpers/spool-harness.js';

describe('tools on the embedded default settings (MODEL_CONTEXT_SIZE 512)', () => {
  const running = useSpool();

  it('a one-tool request with tool_choice required fits the context and comes back as a tool call', async () => {
    expect(running.spool.config.MODEL_CONTEXT_SIZE).toBe(512);
    const answer = await running.spool.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'What is the weather in Paris for the next three days?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Get the weather forecast for a city over the coming days',
            parameters: {
              type: 'object',
              // As clients write them: every property described (the schema alone is ~300 tokens of this model).
              properties: {
                city: { type: 'string', description: 'The name of the city to get the forecast for, for example Paris or Tokyo', maxLength: 20 },
                country: { type: 'string', description: 'The two-letter ISO country code of the city, when the city name is ambiguous', maxLength: 2 },
                days: { type: 'integer', description: 'How many days of forecast to return, counting today as the first day', minimum: 1, maximum: 14 },
                unit: { type: 'string', enum: ['celsius', 'fahrenheit'], description: 'The temperature unit the forecast should use' },
                hourly: { type: 'boolean', description: 'Whether to include an hourly breakdown for each day of the forecast' },
              },
              required: ['city', 'days'],
              additionalProperties: false,
            },
          },
        },
      ],
      tool_choice: 'required',
      max_tokens: 200,
      seed: 1,
    });
    const choice = answer.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]! as { function: { name: string; arguments: string } };
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments);
    expect(typeof args.city).toBe('string');
    expect(args.days).toBeGreaterThanOrEqual(1);
    expect(args.days).toBeLessThanOrEqual(14);
    // The prompt stays well inside the context: room is left for the call.
    expect(answer.usage!.prompt_tokens).toBeLessThan(512 - 200);
  });
});
