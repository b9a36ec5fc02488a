import { Ajv } from 'ajv';
import type OpenAI from 'openai';

/** Two tools the tool-calling tests offer, with validators for the arguments a model writes. */
export const weatherParameters = {
  type: 'object',
  properties: {
    city: { type: 'string', maxLength: 12 },
    days: { type: 'integer', minimum: 1, maximum: 14 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'days'],
  additionalProperties: false,
};
export const timeParameters = {
  type: 'object',
  properties: { zone: { type: 'string', enum: ['UTC', 'Europe/Paris', 'Asia/Tokyo'] }, offset: { type: 'integer', minimum: -12, maximum: 14 } },
  required: ['zone'],
  additionalProperties: false,
};
export const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather forecast', parameters: weatherParameters } },
  { type: 'function', function: { name: 'get_time', description: 'Time in a zone', parameters: timeParameters } },
];
export const ajv = new Ajv({ strict: false });
export const validators: Record<string, ReturnType<typeof ajv.compile>> = {
  get_weather: ajv.compile(weatherParameters),
  get_time: ajv.compile(timeParameters),
};
export const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
