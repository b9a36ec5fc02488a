import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { modelSpecSchema } from '@spool/shared';
import { parseRequestLine, readLines, validateInput } from './input-lines.js';

const models = [modelSpecSchema.parse({ id: 'tiny', aliases: ['tiny-alias'], source: 'tiny.gguf' })];
const chat = (customId: string, extra: object = {}) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'tiny', messages: [{ role: 'user', content: 'hi' }] },
    ...extra,
  });

describe('batch input lines', () => {
  it('numbers lines as an editor does and skips blank ones', async () => {
    const lines = [];
    for await (const line of readLines(Readable.from(['a\n\nb\r\n', 'c']))) lines.push(line);
    expect(lines).toEqual([
      { line: 1, text: 'a' },
      { line: 3, text: 'b' },
      { line: 4, text: 'c' },
    ]);
  });

  it('resolves a model alias to its configured id', () => {
    const parsed = parseRequestLine(
      { line: 1, text: chat('a', { body: { model: 'tiny-alias', messages: [{ role: 'user', content: 'x' }] } }) },
      '/v1/chat/completions',
      models,
    );
    expect(parsed.ok && parsed.request.spec.id).toBe('tiny');
  });

  it("refuses a line that sets a sampling extra its model's engine does not honour", () => {
    const parsed = parseRequestLine(
      { line: 3, text: chat('a', { body: { model: 'tiny', top_k: 40, messages: [{ role: 'user', content: 'x' }] } }) },
      '/v1/chat/completions',
      models,
    );
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatchObject({ line: 3, code: 'invalid_request', param: 'body.top_k' });
    expect(!parsed.ok && parsed.error.message).toContain("does not honour 'top_k'");
  });

  it('names the line, code and param of each kind of bad line', () => {
    const check = (text: string) => {
      const parsed = parseRequestLine({ line: 7, text }, '/v1/chat/completions', models);
      return parsed.ok ? undefined : parsed.error;
    };
    expect(check('not json')).toMatchObject({ line: 7, code: 'invalid_json_line' });
    expect(check('[1]')).toMatchObject({ code: 'invalid_request' });
    expect(check(chat('', {}))).toMatchObject({ code: 'missing_required_parameter', param: 'custom_id' });
    expect(check(chat('a', { method: 'GET' }))).toMatchObject({ code: 'invalid_method', param: 'method' });
    expect(check(chat('a', { url: '/v1/completions' }))).toMatchObject({ code: 'mismatched_url', param: 'url' });
    expect(check(chat('a', { body: { model: 'big', messages: [{ role: 'user', content: 'x' }] } }))).toMatchObject({
      code: 'model_not_found',
      param: 'body.model',
    });
    expect(check(chat('a', { body: { model: 'tiny', messages: [{ role: 'user', content: 'x' }], temperature: 9 } }))).toMatchObject({
      code: 'invalid_request',
      param: 'body.temperature',
    });
  });

  it('reads /v1/responses lines and refuses what a batch line cannot do, naming it', () => {
    const response = (body: object) => JSON.stringify({ custom_id: 'r', method: 'POST', url: '/v1/responses', body: { model: 'tiny', input: 'hi', ...body } });
    const check = (text: string) => parseRequestLine({ line: 2, text }, '/v1/responses', models);
    expect(check(response({ instructions: 'Be brief.' }))).toMatchObject({
      ok: true,
      request: { endpoint: '/v1/responses', body: { input: 'hi', instructions: 'Be brief.' } },
    });
    expect(check(response({ tools: [{ type: 'web_search' }] }))).toMatchObject({
      ok: false,
      error: { line: 2, param: 'body.tools[0].type', message: expect.stringContaining("'web_search'") },
    });
    expect(check(response({ previous_response_id: 'resp_1' }))).toMatchObject({ ok: false, error: { param: 'body.previous_response_id' } });
    expect(check(response({ background: true }))).toMatchObject({ ok: false, error: { param: 'body.background' } });
  });

  it('reports duplicate custom_ids with the first line that used them, and counts requests', async () => {
    const text = [chat('a'), chat('b'), chat('a')].join('\n');
    const result = await validateInput(readLines(Readable.from([text])), '/v1/chat/completions', models, 10);
    expect(result.total).toBe(3);
    expect(result.errors).toEqual([{ code: 'duplicate_custom_id', message: "Line 3 repeats the custom_id 'a' of line 1.", param: 'custom_id', line: 3 }]);
    expect(result.models).toEqual(['tiny']);
  });

  it('fails an empty file and one over the line limit', async () => {
    expect((await validateInput(readLines(Readable.from(['\n'])), '/v1/chat/completions', models, 10)).errors[0]!.code).toBe('empty_file');
    const many = [chat('a'), chat('b'), chat('c')].join('\n');
    expect((await validateInput(readLines(Readable.from([many])), '/v1/chat/completions', models, 2)).errors[0]).toMatchObject({
      code: 'too_many_requests',
      line: 3,
    });
  });
});
