import { addToAnswer, emptyAnswer, type ChoiceAnswer } from '@spool/shared';
import type { JobOutput } from './job-output.js';

/** The answers of a job's choices, assembled from its output. */
export interface ChoiceAnswers {
  readonly choices: ChoiceAnswer[];
  add(part: JobOutput): void;
}

/** A `reset` (another worker re-runs the job from the start) starts every answer over. */
export function createChoiceAnswers(count: number): ChoiceAnswers {
  const fresh = () => Array.from({ length: count }, emptyAnswer);
  let choices = fresh();
  return {
    get choices() {
      return choices;
    },
    add(part) {
      switch (part.type) {
        case 'reset':
          choices = fresh();
          return;
        case 'text':
          return addToAnswer(choices[part.choice]!, { type: 'text-delta', text: part.text, logprobs: part.logprobs });
        case 'tool-call':
          return addToAnswer(choices[part.choice]!, { ...part, type: 'tool-call-delta' });
        case 'choice-end':
          return addToAnswer(choices[part.choice]!, { type: 'end', finishReason: part.finishReason });
      }
    },
  };
}
