import { findModelSpec, ModelNotFoundError, UnavailableError, type ModelSpec } from '@spool/shared';
import type { ApiDeps } from './deps.js';

/** The configured model a request names (by id or alias), with a live worker and its context length. */
export function resolveModel(deps: Pick<ApiDeps, 'models' | 'registry'>, name: string): { spec: ModelSpec; contextLength: number } {
  const spec = findModelSpec(deps.models, name);
  if (!spec) throw new ModelNotFoundError(name);
  const contextLength = deps.registry.contextLength(spec.id);
  if (contextLength === undefined) {
    throw new UnavailableError(`The model '${spec.id}' has no running worker at the moment; retry shortly.`, 'model_unavailable', 5);
  }
  return { spec, contextLength };
}
