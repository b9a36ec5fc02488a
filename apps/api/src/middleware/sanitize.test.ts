import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '@spool/shared';
import { checkJsonValue, checkPromptSize } from './sanitize.js';
import { trustProxy } from './security.js';

const limits = { MAX_JSON_DEPTH: 4, MAX_MESSAGES: 2, MAX_MESSAGE_CHARS: 5, MAX_PROMPT_CHARS: 8 };
const codeOf = (fn: () => void) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return error instanceof InvalidRequestError ? `${error.code}@${error.param}` : 'other';
  }
};

describe('checkJsonValue', () => {
  it('allows nesting up to the limit and refuses one level more', () => {
    expect(codeOf(() => checkJsonValue({ a: [[{}]] }, 4))).toBe('ok');
    expect(codeOf(() => checkJsonValue({ a: [[{ b: [] }]] }, 4))).toBe('json_too_deep@a[0][0].b');
  });

  it('walks a million levels without overflowing the stack', () => {
    let value: unknown[] = [];
    for (let index = 0; index < 1_000_000; index += 1) value = [value];
    expect(codeOf(() => checkJsonValue(value, 32))).toMatch(/^json_too_deep/);
  });

  it('finds NUL characters and lone surrogates in values and keys, and passes paired surrogates', () => {
    expect(codeOf(() => checkJsonValue({ messages: [{ content: 'a\u0000' }] }, 8))).toBe('invalid_characters@messages[0].content');
    expect(codeOf(() => checkJsonValue({ x: 'a\ud800' }, 8))).toBe('invalid_unicode@x');
    expect(codeOf(() => checkJsonValue({ '\udc00': 1 }, 8))).toBe('invalid_unicode@\udc00');
    expect(codeOf(() => checkJsonValue({ x: 'emoji 😀' }, 8))).toBe('ok');
  });
});

describe('checkPromptSize', () => {
  it.each([
    [{ messages: [{ content: 'abc' }, { content: 'de' }] }, 'ok'],
    [{ messages: [{}, {}, {}] }, 'too_many_messages@messages'],
    [{ messages: [{ content: [{ text: 'abc' }, { text: 'def' }] }] }, 'message_too_long@messages[0].content'],
    [{ messages: [{ content: 'abcde' }, { content: 'abcd' }] }, 'prompt_too_long@messages'],
    [{ prompt: ['abc', 'abcdef'] }, 'message_too_long@prompt[1]'],
    [{ prompt: 'abcdef' }, 'message_too_long@prompt'],
  ])('%j → %s', (body, expected) => {
    expect(codeOf(() => checkPromptSize(body as Record<string, unknown>, limits))).toBe(expected);
  });
});

describe('trustProxy', () => {
  it.each([
    ['false', false],
    ['', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8, 127.0.0.1'],
  ])('%s → %s', (value, expected) => {
    expect(trustProxy(value)).toEqual(expected);
  });
});
