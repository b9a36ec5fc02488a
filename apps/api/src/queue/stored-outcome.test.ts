import { describe, expect, it } from 'vitest';
import { ContextLengthError, jobFailureReason, SpoolError, UnavailableError } from '@spool/shared';
import { createEventTrail } from './event-trail.js';
import { outcomeEvents } from './stored-outcome.js';

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('a failed job answered from its stored outcome', () => {
  it('gives the error the worker refused the job with, status and body', () => {
    const refusal = new ContextLengthError("This model's maximum context length is 512 tokens.");
    const error = thrown(() => outcomeEvents({ state: 'failed', reason: jobFailureReason(refusal) }, createEventTrail())) as SpoolError;
    expect(error).toBeInstanceOf(SpoolError);
    expect(error.status).toBe(400);
    expect(error.toJSON()).toEqual(refusal.toJSON());
  });

  it('keeps a 503 a 503', () => {
    const busy = new UnavailableError('The request waited in the queue longer than allowed.', 'queue_timeout');
    const error = thrown(() => outcomeEvents({ state: 'failed', reason: jobFailureReason(busy) }, createEventTrail())) as SpoolError;
    expect([error.status, error.code]).toEqual([503, 'queue_timeout']);
  });

  it('answers 500 with the message of a crash (a reason that is no error body)', () => {
    for (const reason of ['engine exploded', '{"status": 200}', '{"status": 400, "error": {"message": 3}}']) {
      const error = thrown(() => outcomeEvents({ state: 'failed', reason }, createEventTrail())) as SpoolError;
      expect(error.status).toBe(500);
      expect(error.message).toContain(reason);
    }
  });
});
