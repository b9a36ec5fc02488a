import { createHash } from 'node:crypto';
import type { ModelSpec } from '@spool/shared';

const fingerprints = new WeakMap<ModelSpec, string>();

/**
 * OpenAI's `system_fingerprint`: it changes when the serving configuration changes, so a client
 * comparing two answers of the same seed knows whether they can differ for that reason. Here it is
 * the model's engine, weights and engine options (the models file), hashed.
 */
export function systemFingerprint(spec: ModelSpec): string {
  let fingerprint = fingerprints.get(spec);
  if (!fingerprint) {
    const hash = createHash('sha256')
      .update(JSON.stringify([spec.id, spec.engine, spec.source, spec.options]))
      .digest('hex');
    fingerprint = `fp_${hash.slice(0, 12)}`;
    fingerprints.set(spec, fingerprint);
  }
  return fingerprint;
}
