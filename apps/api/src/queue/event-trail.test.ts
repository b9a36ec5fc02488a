import { describe, expect, it } from 'vitest';
import type { GenerationResult, JobEvent } from '@spool/shared';
import { createEventTrail } from './event-trail.js';

const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };
const text = (seq: number, value: string, attempt = 1): JobEvent => ({ type: 'text-delta', choice: 0, text: value, seq, attempt });
const start = (attempt = 1): JobEvent => ({ type: 'start', workerId: 'w', seq: 0, attempt });
const result: GenerationResult = { choices: [{ text: 'Once upon a time', finishReason: 'stop' }], usage };

/** The text a reader of all passed events plus the finishing events would see. */
const textOf = (events: JobEvent[]) => events.map((event) => (event.type === 'text-delta' ? event.text : '')).join('');

describe('event trail', () => {
  it('passes events in sequence and finishes with only the missing rest of the stored text', () => {
    const trail = createEventTrail();
    const passed = [start(), text(1, 'Once '), text(2, 'upon')].filter((event) => trail.take(event) === 'pass');
    const ending = trail.finish(result)!;
    expect(textOf([...passed, ...ending])).toBe('Once upon a time');
    expect(ending.map((event) => event.type)).toEqual(['text-delta', 'end', 'done']);
    expect(ending.at(-1)).toMatchObject({ type: 'done', usage, attempt: 1, seq: 5 });
  });

  it('holds back everything after a skipped sequence number, and finishes from what was passed before it', () => {
    const trail = createEventTrail();
    expect(trail.take(start())).toBe('pass');
    expect(trail.take(text(1, 'Once '))).toBe('pass');
    expect(trail.take(text(3, ' a'))).toBe('gap');
    expect(trail.take(text(4, ' time'))).toBe('gap');
    expect(textOf(trail.finish(result)!)).toBe('upon a time');
  });

  it('drops an earlier attempt and starts over on a new one', () => {
    const trail = createEventTrail();
    trail.take(start(1));
    trail.take(text(1, 'Once'));
    expect(trail.take(start(2))).toBe('pass');
    expect(trail.take(text(1, 'late', 1))).toBe('stale');
    expect(textOf(trail.finish(result)!)).toBe('Once upon a time');
    expect(trail.finish(result)![0]).toMatchObject({ attempt: 2 });
  });

  it('cannot finish when what was passed on is not a prefix of the stored result', () => {
    const trail = createEventTrail();
    trail.take(start());
    trail.take(text(1, 'Twice'));
    expect(trail.finish(result)).toBeUndefined();
  });

  it('finishes a job none of whose events arrived as attempt 1, tool calls included', () => {
    const trail = createEventTrail();
    const withCall: GenerationResult = {
      choices: [{ text: '', finishReason: 'tool_calls', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{"a":1}' }] }],
      usage,
    };
    expect(trail.finish(withCall)).toEqual([
      { type: 'tool-call-delta', choice: 0, index: 0, id: 'call_1', name: 'f', arguments: '{"a":1}', seq: 0, attempt: 1 },
      { type: 'end', choice: 0, finishReason: 'tool_calls', usage, seq: 1, attempt: 1 },
      { type: 'done', usage, seq: 2, attempt: 1 },
    ]);
  });

  it('finishes an embeddings job with its stored vectors on done', () => {
    const trail = createEventTrail();
    expect(trail.finish({ choices: [], usage, embeddings: [[0.5, -0.25]] })).toEqual([{ type: 'done', usage, embeddings: [[0.5, -0.25]], seq: 0, attempt: 1 }]);
  });

  it('leaves a choice that already ended alone', () => {
    const trail = createEventTrail();
    trail.take(start());
    trail.take(text(1, 'Once upon a time'));
    trail.take({ type: 'end', choice: 0, finishReason: 'stop', usage, seq: 2, attempt: 1 });
    expect(trail.finish(result)!.map((event) => event.type)).toEqual(['done']);
  });
});
