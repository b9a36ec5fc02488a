import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { TokenLogprob } from '@spool/shared';

/** OpenAI's floor for a log probability too small to write (JSON has no -Infinity). */
const MIN_LOGPROB = -9999;

type Sampled = { token: Token; confidence?: number; probabilities?: Map<Token, number> };

/**
 * Log probabilities of the tokens node-llama-cpp's LlamaCompletion samples. LlamaCompletion decodes
 * through `sequence.evaluate`, which yields tokens only; this hands it a stand-in for the sequence
 * whose `evaluate` goes through `evaluateWithMetadata` and keeps each sampled token's probability
 * (and, for `top_logprobs`, the distribution) in order. `take` turns the tokens `onToken` releases
 * into OpenAI's entries. The probabilities are those of the distribution the token was drawn from:
 * after temperature, top-k/top-p and the grammar (llama.cpp's server calls them post-sampling).
 */
export function createLogprobRecorder(sequence: LlamaContextSequence, model: LlamaModel, topLogprobs: number) {
  const sampled: Sampled[] = [];
  const metadata = topLogprobs > 0 ? ({ confidence: true, probabilities: true } as const) : ({ confidence: true } as const);

  async function* evaluate(tokens: Token[], options?: Parameters<LlamaContextSequence['evaluate']>[1]): AsyncGenerator<Token, void, void | Token | Token[]> {
    const iterator = sequence.evaluateWithMetadata(tokens, metadata, options);
    let replacement: void | Token | Token[] = undefined;
    try {
      for (;;) {
        const { value, done } = await iterator.next(replacement);
        if (done) return;
        const output = value as Sampled;
        sampled.push({ token: output.token, confidence: output.confidence, probabilities: output.probabilities });
        replacement = yield output.token;
      }
    } finally {
      await iterator.return();
    }
  }

  // Everything but `evaluate` is the real sequence, called on itself.
  const standIn = new Proxy(sequence, {
    get(target, property) {
      if (property === 'evaluate') return evaluate;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

  // The tokens released so far: a token's text depends on what precedes it (a leading space).
  const released: Token[] = [];
  const entry = (token: Token) => {
    const text = model.detokenize([token], false, released.slice(-4));
    return { token: text, bytes: [...Buffer.from(text, 'utf8')] };
  };
  const logprobOf = (probability: number | undefined) => (probability && probability > 0 ? Math.max(Math.log(probability), MIN_LOGPROB) : MIN_LOGPROB);

  return {
    sequence: standIn,
    /** The entries of released tokens, in order (they were sampled in this order). */
    take(tokens: Token[]): TokenLogprob[] {
      const entries: TokenLogprob[] = [];
      for (const token of tokens) {
        let found = sampled.shift();
        while (found && found.token !== token) found = sampled.shift();
        const alternatives = found?.probabilities ? [...found.probabilities].filter(([, probability]) => probability > 0).slice(0, topLogprobs) : [];
        entries.push({
          ...entry(token),
          logprob: logprobOf(found?.confidence ?? found?.probabilities?.get(token)),
          top_logprobs: alternatives.map(([alternative, probability]) => ({ ...entry(alternative), logprob: logprobOf(probability) })),
        });
        released.push(token);
      }
      return entries;
    },
  };
}
