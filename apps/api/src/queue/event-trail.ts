import { addToAnswer, emptyAnswer, type ChoiceAnswer, type FinishReason, type GenerationResult, type JobEvent } from '@spool/shared';

type Unnumbered = JobEvent extends infer E ? (E extends JobEvent ? Omit<E, 'seq' | 'attempt'> : never) : never;

/** What verdict `take` gives an arriving event. */
export type TrailVerdict = 'pass' | 'stale' | 'gap';

/**
 * What the API has passed on of a job's current attempt, checked against the events' sequence
 * numbers. Pub/sub keeps nothing for a subscriber that is away, so a Redis restart can drop events
 * in the middle of a job (or its `done`); then the job is finished from its stored result instead,
 * continuing exactly where what was passed on stops.
 */
export interface EventTrail {
  /**
   * `pass`: hand the event on. `stale`: an earlier attempt's; drop it. `gap`: events of this attempt
   * were lost before it, so it and the rest of the attempt are held back (a new attempt starts over).
   */
  take(event: JobEvent): TrailVerdict;
  /**
   * The events that complete what was passed on into `result` (the job's stored return value), or
   * undefined when they cannot: what was passed on is not a prefix of it.
   */
  finish(result: GenerationResult): JobEvent[] | undefined;
}

export function createEventTrail(): EventTrail {
  let attempt = 0;
  let nextSeq = 0;
  let broken = false;
  /** What was passed on of each choice, built as every reader of the events builds it. */
  let choices: ChoiceAnswer[] = [];

  function record(event: JobEvent): void {
    if (event.type === 'text-delta' || event.type === 'tool-call-delta' || event.type === 'end') addToAnswer((choices[event.choice] ??= emptyAnswer()), event);
  }

  /** The events that take one choice from what was passed on to its stored end; undefined if it diverged. */
  function finishChoice(index: number, stored: GenerationResult['choices'][number], usage: GenerationResult['usage']): Unnumbered[] | undefined {
    const sent = choices[index] ?? emptyAnswer();
    if (sent.finishReason !== null) return [];
    const storedCalls = stored.toolCalls ?? [];
    if (!stored.text.startsWith(sent.text) || sent.toolCalls.length > storedCalls.length) return undefined;
    const events: Unnumbered[] = [];
    if (stored.text.length > sent.text.length) events.push({ type: 'text-delta', choice: index, text: stored.text.slice(sent.text.length) });
    for (const [callIndex, call] of storedCalls.entries()) {
      const partial = sent.toolCalls[callIndex];
      if (!partial) events.push({ type: 'tool-call-delta', choice: index, index: callIndex, id: call.id, name: call.name, arguments: call.arguments });
      else if (!call.arguments.startsWith(partial.arguments)) return undefined;
      else if (call.arguments.length > partial.arguments.length) {
        events.push({ type: 'tool-call-delta', choice: index, index: callIndex, arguments: call.arguments.slice(partial.arguments.length) });
      }
    }
    // The stored result keeps no per-choice usage; readers of `end` take only its finish reason.
    events.push({ type: 'end', choice: index, finishReason: stored.finishReason as FinishReason, usage });
    return events;
  }

  return {
    take(event) {
      if (event.attempt < attempt) return 'stale';
      if (event.attempt > attempt) {
        attempt = event.attempt;
        nextSeq = 0;
        broken = false;
        choices = [];
      }
      if (broken) return 'gap';
      if (event.seq < nextSeq) return 'stale';
      if (event.seq > nextSeq) {
        broken = true;
        return 'gap';
      }
      nextSeq += 1;
      record(event);
      return 'pass';
    },
    finish(result) {
      const events: Unnumbered[] = [];
      for (const [index, stored] of (result.choices ?? []).entries()) {
        const rest = finishChoice(index, stored, result.usage);
        if (!rest) return undefined;
        events.push(...rest);
      }
      // An embeddings job's vectors ride on its `done`, as the worker sends them.
      events.push({ type: 'done', usage: result.usage, ...(result.embeddings ? { embeddings: result.embeddings } : {}) });
      // Numbered on from what was passed on, in the same attempt (1 when nothing arrived at all).
      return events.map((event, offset) => ({ ...event, seq: nextSeq + offset, attempt: Math.max(attempt, 1) }) as JobEvent);
    },
  };
}
