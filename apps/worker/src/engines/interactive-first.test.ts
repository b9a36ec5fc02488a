import type { BatchItem } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { evaluationPriorityOf, interactiveFirst } from './interactive-first.js';

const item = (tokens: number, evaluationPriority: 1 | 3 | 5): BatchItem => ({
  tokens: Array.from({ length: tokens }, (_, index) => index as never),
  logits: [],
  evaluationPriority,
});

describe('interactive-first batch composition', () => {
  it('maps queue priorities: interactive highest, batch lines lowest', () => {
    expect([evaluationPriorityOf(undefined), evaluationPriorityOf(0), evaluationPriorityOf(1), evaluationPriorityOf(10)]).toEqual([5, 5, 3, 1]);
  });

  it('gives a step only to the interactive sequences while an interactive prompt is read', () => {
    const prompt = item(30, 5);
    const generating = item(1, 5);
    const lines = [item(1, 1), item(1, 1), item(1, 1)];
    const chosen = interactiveFirst({ items: [...lines, prompt, generating], size: 512 });
    expect(chosen.map((entry) => entry.item)).toEqual([prompt, generating]);
    expect(chosen.map((entry) => entry.processAmount)).toEqual([30, 1]);
  });

  it('carries every sequence once no interactive prompt is waiting', () => {
    const items = [item(1, 1), item(1, 1), item(1, 5)];
    expect(interactiveFirst({ items, size: 512 }).map((entry) => entry.processAmount)).toEqual([1, 1, 1]);
  });

  it('shares the batch evenly among same-priority sequences and never passes its size', () => {
    const items = [item(400, 5), item(400, 5), item(10, 5)];
    const chosen = interactiveFirst({ items, size: 512 });
    expect(chosen.reduce((sum, entry) => sum + entry.processAmount, 0)).toBe(512);
    expect(chosen.find((entry) => entry.item === items[2])!.processAmount).toBe(10);
  });
});
