import { describe, expect, it } from 'vitest';
import { createPullGate } from './pull-gate.js';
import { createScheduler } from './scheduler.js';
import { expectedJobTokens } from './job-reservation.js';

const never = new AbortController().signal;
const chat = (maxTokens?: number) => ({
  kind: 'chat' as const,
  messages: [{ role: 'user' as const, content: 'hi' }],
  maxTokens,
  temperature: 1,
  topP: 1,
  stop: [],
  presencePenalty: 0,
  frequencyPenalty: 0,
});

describe('expected job tokens', () => {
  it('reserves the expected output for a request without max_tokens, not its whole context', () => {
    const prompt = expectedJobTokens([chat(0)], 8192, 512);
    expect(expectedJobTokens([chat()], 8192, 512)).toBe(prompt + 512);
    expect(expectedJobTokens([chat(100)], 8192, 512)).toBe(prompt + 100);
    expect(expectedJobTokens([chat()], 300, 512)).toBe(300);
    expect(expectedJobTokens([chat(), chat()], 8192, 512)).toBe(2 * (prompt + 512));
  });
});

describe('pull gate', () => {
  it('lets the worker hold only as many jobs as fit its slots and token budget', async () => {
    const scheduler = createScheduler({ slots: 256, tokenBudget: 10_240, windowMs: 0 });
    const gate = createPullGate({ slots: 256, tokenBudget: 10_240, scheduler, firstGuessTokens: 1024 });
    // Before any job, the guess is the first one: 10 of 1024 tokens fit.
    expect(gate.limit({ notStarted: 0, running: 0 })).toBe(10);
    gate.noteJob(512);
    expect(gate.limit({ notStarted: 0, running: 0 })).toBe(20);
    const releases = [];
    for (let index = 0; index < 19; index += 1) releases.push(await scheduler.admit({ slots: 1, tokens: 512 }, never));
    // 19 run, one more fits; a job pulled but not yet started counts as one of that size.
    expect(gate.limit({ notStarted: 0, running: 19 })).toBe(20);
    expect(gate.limit({ notStarted: 1, running: 19 })).toBe(20);
    for (const release of releases) release();
  });

  it('pulls nothing more while a job it holds waits for room', async () => {
    const scheduler = createScheduler({ slots: 8, tokenBudget: 1000, windowMs: 0 });
    const gate = createPullGate({ slots: 8, tokenBudget: 1000, scheduler, firstGuessTokens: 100 });
    const big = await scheduler.admit({ slots: 1, tokens: 900 }, never);
    const waiting = scheduler.admit({ slots: 1, tokens: 500 }, never);
    await new Promise((resolve) => setImmediate(resolve));
    expect(scheduler.stats().blocked).toBe(1);
    expect(gate.limit({ notStarted: 1, running: 1 })).toBe(2);
    big();
    (await waiting)();
  });

  it('never asks BullMQ for fewer than one job', () => {
    const scheduler = createScheduler({ slots: 1, tokenBudget: 10, windowMs: 0 });
    expect(createPullGate({ slots: 1, tokenBudget: 10, scheduler, firstGuessTokens: 100 }).limit({ notStarted: 0, running: 0 })).toBe(1);
  });
});
