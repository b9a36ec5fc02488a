import { MODEL } from './spool-harness.js';

/** How one request ended, as its client saw it. */
export type Outcome =
  | { kind: 'ok'; endedAt: number }
  /** The connection was refused: nothing was sent. */
  | { kind: 'refused'; endedAt: number }
  /** Anything else: an error status, a body cut short, a connection reset. */
  | { kind: 'broken'; endedAt: number; detail: string };

export interface Load {
  /** Requests sent and not yet ended. */
  readonly inFlight: number;
  readonly outcomes: Outcome[];
  /** Resolves once every client loop has stopped (each stops at its first refusal). */
  stop(): Promise<Outcome[]>;
}

const errorCode = (error: unknown): string => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
};

/** One chat request, streamed or not, read to its end: ok only when the answer is complete. */
async function chat(url: string, stream: boolean): Promise<Outcome> {
  let answer: Response;
  try {
    answer = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 48, stream }),
    });
  } catch (error) {
    const code = errorCode(error);
    return code === 'ECONNREFUSED' ? { kind: 'refused', endedAt: Date.now() } : { kind: 'broken', endedAt: Date.now(), detail: `request: ${code}` };
  }
  try {
    const text = await answer.text();
    const complete = stream ? text.trimEnd().endsWith('data: [DONE]') : (JSON.parse(text) as { object?: string }).object === 'chat.completion';
    if (answer.status === 200 && complete) return { kind: 'ok', endedAt: Date.now() };
    return { kind: 'broken', endedAt: Date.now(), detail: `${answer.status}: ${text.slice(-200)}` };
  } catch (error) {
    return { kind: 'broken', endedAt: Date.now(), detail: `body: ${errorCode(error)}` };
  }
}

/**
 * `concurrency` clients on keep-alive connections (fetch's pool), each sending chat requests one
 * after another, streamed and not in turn, until its first refused connection or `stop()`.
 */
export function startLoad(url: string, concurrency: number): Load {
  const outcomes: Outcome[] = [];
  let inFlight = 0;
  let stopped = false;
  const loops = Array.from({ length: concurrency }, async (_, index) => {
    for (let round = 0; !stopped; round += 1) {
      inFlight += 1;
      const outcome = await chat(url, (index + round) % 2 === 0);
      inFlight -= 1;
      outcomes.push(outcome);
      if (outcome.kind === 'refused') return;
    }
  });
  return {
    get inFlight() {
      return inFlight;
    },
    outcomes,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return outcomes;
    },
  };
}
