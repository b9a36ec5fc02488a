/**
 * Finds OpenAI `stop` sequences in streamed text. Text that could still be the start of a stop
 * sequence is held back until the next chunk decides, so no stop text ever reaches the client.
 * Matching the decoded text keeps OpenAI's rule for any stop string: node-llama-cpp 3.21.1's
 * customStopTriggers do fire in LlamaCompletion, but miss a stop that starts with a space (with
 * stories260K, `' little'` never stops "there was a little girl", while `'Lily'` does).
 */
export interface StopMatcher {
  /** Adds generated text; returns what may be sent now and whether a stop sequence was met. */
  push(text: string): { text: string; stopped: boolean };
  /** What was held back, once generation ends without a stop. */
  flush(): string;
}

export function createStopMatcher(stops: string[]): StopMatcher {
  let pending = '';
  const longest = Math.max(0, ...stops.map((stop) => stop.length));
  return {
    push(text) {
      if (stops.length === 0) return { text, stopped: false };
      pending += text;
      let cut = -1;
      for (const stop of stops) {
        const at = pending.indexOf(stop);
        if (at >= 0 && (cut < 0 || at < cut)) cut = at;
      }
      if (cut >= 0) {
        const out = pending.slice(0, cut);
        pending = '';
        return { text: out, stopped: true };
      }
      // Keep the longest tail that is a prefix of some stop sequence.
      let keep = 0;
      for (let size = Math.min(longest - 1, pending.length); size > 0; size -= 1) {
        const tail = pending.slice(pending.length - size);
        if (stops.some((stop) => stop.startsWith(tail))) {
          keep = size;
          break;
        }
      }
      const out = pending.slice(0, pending.length - keep);
      pending = pending.slice(pending.length - keep);
      return { text: out, stopped: false };
    },
    flush() {
      const out = pending;
      pending = '';
      return out;
    },
  };
}
