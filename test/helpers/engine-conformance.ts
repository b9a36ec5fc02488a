import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextLengthError, type Engine, type GenerationEvent, type GenerationRequest } from '@spool/shared';

/** How a conformance run gets its engine: started before the suite, stopped after it. */
export interface EngineUnderTest {
  engine: Engine;
  stop(): Promise<void>;
}

const completion = (overrides: Partial<GenerationRequest> = {}): GenerationRequest => ({
  kind: 'completion',
  prompt: 'Once upon a time',
  maxTokens: 12,
  temperature: 0,
  topP: 1,
  stop: [],
  presencePenalty: 0,
  frequencyPenalty: 0,
  ...overrides,
});

async function collect(engine: Engine, request: GenerationRequest, signal = new AbortController().signal): Promise<GenerationEvent[]> {
  const events: GenerationEvent[] = [];
  for await (const event of engine.generate(request, signal)) events.push(event);
  return events;
}

const textOf = (events: GenerationEvent[]) => events.map((event) => (event.type === 'text-delta' ? event.text : '')).join('');
const endOf = (events: GenerationEvent[]) => events.at(-1) as Extract<GenerationEvent, { type: 'end' }>;

/**
 * The contract every engine adapter keeps (packages/shared/src/engine.ts), run against a real
 * adapter: the order of stream parts, usage, max tokens, stop sequences, several generations at
 * once, abort, forced tool calls and the context-length error.
 */
export function describeEngine(name: string, start: () => Promise<EngineUnderTest>, options: { longPrompt: string }): void {
  describe(`engine conformance: ${name}`, () => {
    let underTest: EngineUnderTest;
    beforeAll(async () => {
      underTest = await start();
    }, 120_000);
    afterAll(async () => {
      await underTest?.stop();
    });
    const engine = () => underTest.engine;

    it('streams deltas and then exactly one end, last, with usage that adds up and max tokens kept', async () => {
      const events = await collect(engine(), completion({ maxTokens: 8 }));
      expect(events.filter((event) => event.type === 'end')).toHaveLength(1);
      expect(events.at(-1)!.type).toBe('end');
      expect(events.slice(0, -1).every((event) => event.type === 'text-delta')).toBe(true);
      expect(textOf(events)).not.toBe('');
      const { usage, finishReason } = endOf(events);
      expect(usage.prompt_tokens).toBeGreaterThan(0);
      expect(usage.completion_tokens).toBeGreaterThan(0);
      expect(usage.completion_tokens).toBeLessThanOrEqual(8);
      expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
      expect(['length', 'stop']).toContain(finishReason);
    });

    it('ends at a stop sequence without sending it', async () => {
      const baseline = textOf(await collect(engine(), completion({ maxTokens: 12 })));
      const stop = baseline.trim().split(/\s+/)[2]!;
      expect(stop).toBeTruthy();
      const events = await collect(engine(), completion({ maxTokens: 12, stop: [stop] }));
      const text = textOf(events);
      expect(text).not.toContain(stop);
      expect(baseline.startsWith(text)).toBe(true);
      expect(endOf(events).finishReason).toBe('stop');
    });

    it('runs several generations at once, each to its own end', async () => {
      const all = await Promise.all([1, 2, 3].map((seed) => collect(engine(), completion({ maxTokens: 6, seed, temperature: 0.8 }))));
      for (const events of all) expect(endOf(events).type).toBe('end');
    });

    // Adapters differ in how the stream ends on abort: the upstream ones throw the signal's reason,
    // llama.cpp ends with its `end`. Both stop the work at once and free the slot.
    it('stops on abort and frees its slot for the next generation', async () => {
      const controller = new AbortController();
      let deltas = 0;
      const run = (async () => {
        for await (const event of engine().generate(completion({ maxTokens: 200 }), controller.signal)) {
          if (event.type === 'text-delta' && ++deltas === 1) controller.abort(new Error('client gone'));
        }
      })();
      await run.catch(() => undefined);
      expect(deltas).toBeLessThan(20);
      expect(endOf(await collect(engine(), completion({ maxTokens: 4 }))).type).toBe('end');
    });

    it('makes a forced tool call with arguments that parse, and ends with tool_calls', async () => {
      const events = await collect(
        engine(),
        completion({
          kind: 'chat',
          prompt: undefined,
          messages: [{ role: 'user', content: 'What is the weather in Oslo?' }],
          maxTokens: 64,
          tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
          toolChoice: { name: 'get_weather' },
        }),
      );
      const calls = events.filter((event) => event.type === 'tool-call-delta');
      expect(calls[0]).toMatchObject({ index: 0, name: 'get_weather' });
      expect(calls[0]!.id).toBeTruthy();
      const args = JSON.parse(calls.map((call) => call.arguments).join('')) as Record<string, unknown>;
      expect(typeof args).toBe('object');
      expect(endOf(events).finishReason).toBe('tool_calls');
    });

    it('throws a ContextLengthError, before any event, for a prompt over the context', async () => {
      const events: GenerationEvent[] = [];
      const run = (async () => {
        for await (const event of engine().generate(completion({ prompt: options.longPrompt, maxTokens: 8 }), new AbortController().signal)) events.push(event);
      })();
      await expect(run).rejects.toBeInstanceOf(ContextLengthError);
      expect(events).toEqual([]);
    });
  });
}
