import { describe, expect, it } from 'vitest';
import { createSlots } from './slots.js';

describe('slots', () => {
  it('grants at most size holders and hands a released slot to the next waiter', async () => {
    const slots = createSlots(1);
    const signal = new AbortController().signal;
    const first = await slots.acquire(signal);
    let second = false;
    const waiting = slots.acquire(signal).then((release) => ((second = true), release));
    await Promise.resolve();
    expect(second).toBe(false);
    first();
    first();
    (await waiting)();
    expect(slots.busy()).toBe(0);
  });

  it('drops a waiter whose signal aborts', async () => {
    const slots = createSlots(1);
    await slots.acquire(new AbortController().signal);
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort('gone');
    await expect(waiting).rejects.toBe('gone');
    expect(slots.busy()).toBe(1);
  });
});
