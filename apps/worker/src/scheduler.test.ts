import { describe, expect, it } from 'vitest';
import { createScheduler } from './scheduler.js';

const never = new AbortController().signal;

describe('scheduler', () => {
  it('starts what fits and holds the rest until slots free', async () => {
    const scheduler = createScheduler({ slots: 2, tokenBudget: 1000, windowMs: 0 });
    const first = await scheduler.admit({ slots: 1, tokens: 10 }, never);
    const second = await scheduler.admit({ slots: 1, tokens: 10 }, never);
    let thirdStarted = false;
    const third = scheduler.admit({ slots: 1, tokens: 10 }, never).then((release) => {
      thirdStarted = true;
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(thirdStarted).toBe(false);
    expect(scheduler.stats()).toMatchObject({ runningSlots: 2, waiting: 1 });
    first();
    (await third)();
    second();
    expect(scheduler.stats()).toMatchObject({ runningSlots: 0, runningTokens: 0, waiting: 0 });
  });

  it('holds a job that would pass the token budget', async () => {
    const scheduler = createScheduler({ slots: 8, tokenBudget: 100, windowMs: 0 });
    const big = await scheduler.admit({ slots: 1, tokens: 80 }, never);
    let started = false;
    const next = scheduler.admit({ slots: 1, tokens: 30 }, never).then((release) => ((started = true), release));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(false);
    big();
    (await next)();
  });

  it('starts jobs arriving within the window together', async () => {
    const scheduler = createScheduler({ slots: 8, tokenBudget: 1000, windowMs: 20 });
    const running = await scheduler.admit({ slots: 1, tokens: 1 }, never);
    const order: number[] = [];
    const a = scheduler.admit({ slots: 1, tokens: 1 }, never).then(() => order.push(Date.now()));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = scheduler.admit({ slots: 1, tokens: 1 }, never).then(() => order.push(Date.now()));
    await Promise.all([a, b]);
    expect(Math.abs(order[1]! - order[0]!)).toBeLessThan(3);
    running();
  });

  it('drops a waiting job whose signal aborts', async () => {
    const scheduler = createScheduler({ slots: 1, tokenBudget: 1000, windowMs: 0 });
    const release = await scheduler.admit({ slots: 1, tokens: 1 }, never);
    const controller = new AbortController();
    const waiting = scheduler.admit({ slots: 1, tokens: 1 }, controller.signal);
    controller.abort('cancelled');
    await expect(waiting).rejects.toBe('cancelled');
    expect(scheduler.stats().waiting).toBe(0);
    release();
  });
});

describe('scheduler with batch lines', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('keeps batch lines under their cap and starts an interactive job in the slot above it', async () => {
    const scheduler = createScheduler({ slots: 3, tokenBudget: 1000, windowMs: 50, batchSlots: 2 });
    const lines = [await scheduler.admit({ slots: 1, tokens: 1, batch: true }, never), await scheduler.admit({ slots: 1, tokens: 1, batch: true }, never)];
    let heldLineStarted = false;
    const held = scheduler.admit({ slots: 1, tokens: 1, batch: true }, never).then((release) => ((heldLineStarted = true), release));
    await tick();
    expect(heldLineStarted).toBe(false);
    // Only batch lines run, so no window delays the interactive job: it starts at the next tick.
    const startedAt = Date.now();
    const interactive = await scheduler.admit({ slots: 1, tokens: 1 }, never);
    expect(Date.now() - startedAt).toBeLessThan(25);
    // A line ends: the held line takes its batch slot at once.
    lines[0]!();
    (await held)();
    interactive();
    lines[1]!();
    expect(scheduler.stats()).toMatchObject({ runningSlots: 0, waiting: 0 });
  });

  it('starts a waiting interactive job before a batch line that waited longer', async () => {
    const scheduler = createScheduler({ slots: 1, tokenBudget: 1000, windowMs: 0 });
    const running = await scheduler.admit({ slots: 1, tokens: 1 }, never);
    const order: string[] = [];
    const line = scheduler.admit({ slots: 1, tokens: 1, batch: true }, never).then((release) => (order.push('batch'), release));
    const interactive = scheduler.admit({ slots: 1, tokens: 1 }, never).then((release) => (order.push('interactive'), release));
    running();
    (await interactive)();
    (await line)();
    expect(order).toEqual(['interactive', 'batch']);
  });
});
