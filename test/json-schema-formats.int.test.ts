import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MODEL, useSpool } from './helpers/spool-harness.js';

// What zod emits for z.literal, z.discriminatedUnion, .uuid(), .email(), .url(), .regex(), .min(0.5).
const schema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    contact: { type: 'string', format: 'email' },
    site: { type: 'string', format: 'uri' },
    born: { type: 'string', format: 'date' },
    seen: { type: 'string', format: 'date-time' },
    code: { type: 'string', pattern: '^[A-Z]{2}-\\d{3}$' },
    version: { type: 'string', const: 'v1' },
    ratio: { type: 'number', minimum: 0.5, exclusiveMaximum: 1.25 },
    shape: {
      oneOf: [
        {
          type: 'object',
          properties: { kind: { type: 'string', const: 'circle' }, radius: { type: 'number', exclusiveMinimum: 0, maximum: 9.5 } },
          required: ['kind', 'radius'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: { kind: { type: 'string', const: 'square' }, side: { type: 'integer', minimum: 1, maximum: 9 } },
          required: ['kind', 'side'],
          additionalProperties: false,
        },
      ],
    },
    nickname: { type: 'string', format: 'hostname', maxLength: 8 },
  },
  required: ['id', 'contact', 'site', 'born', 'seen', 'code', 'version', 'ratio', 'shape', 'nickname'],
  additionalProperties: false,
};

const validator = z.strictObject({
  id: z.uuid(),
  contact: z.email(),
  site: z.url(),
  born: z.iso.date(),
  seen: z.iso.datetime({ offset: true }),
  code: z.string().regex(/^[A-Z]{2}-\d{3}$/),
  version: z.literal('v1'),
  ratio: z.number().min(0.5).lt(1.25),
  shape: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('circle'), radius: z.number().gt(0).max(9.5) }),
    z.strictObject({ kind: z.literal('square'), side: z.number().int().min(1).max(9) }),
  ]),
  nickname: z.string().max(8),
});

describe('JSON Schema formats, patterns, constants and fractional bounds on the real model', () => {
  const running = useSpool({ MODEL_SLOTS: '8' });

  it('every answer under the schema parses and validates, for 8 seeds', async () => {
    const answer = await running.spool.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Make up a record.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'record', schema, strict: true } },
      n: 8,
      seed: 11,
      temperature: 1,
      max_tokens: 400,
    });
    for (const choice of answer.choices) {
      expect(choice.finish_reason, choice.message.content!).toBe('stop');
      const parsed = validator.safeParse(JSON.parse(choice.message.content!));
      expect(parsed.success, `${choice.message.content}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it('a tool whose arguments are a zod discriminated union gets arguments that validate', async () => {
    const parameters = { type: 'object', properties: { shape: schema.properties.shape }, required: ['shape'], additionalProperties: false };
    const answer = await running.spool.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Draw a shape.' }],
      tools: [{ type: 'function', function: { name: 'draw', parameters } }],
      tool_choice: { type: 'function', function: { name: 'draw' } },
      n: 4,
      seed: 3,
      max_tokens: 80,
    });
    for (const choice of answer.choices) {
      const call = choice.message.tool_calls![0]!;
      expect(call.type).toBe('function');
      const args = JSON.parse((call as { function: { arguments: string } }).function.arguments);
      expect(validator.shape.shape.safeParse(args.shape).success, JSON.stringify(args)).toBe(true);
    }
  });
});
