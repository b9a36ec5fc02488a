import { findModelSpec, PermissionDeniedError, type ModelSpec, type Principal } from '@spool/shared';

/**
 * Whether the principal may use the model a request names. A token's `models` claim may list ids or
 * aliases; a name passes when it, or the model it resolves to, or any alias of that model, is listed.
 */
export function mayUseModel(principal: Principal | undefined, name: string, specs: ModelSpec[]): boolean {
  if (!principal?.models) return true;
  const allowed = new Set(principal.models);
  if (allowed.has(name)) return true;
  const spec = findModelSpec(specs, name);
  return spec !== undefined && [spec.id, ...spec.aliases].some((id) => allowed.has(id));
}

/** Throws a 403 when the principal may not use the model (batch lines and async jobs call this too). */
export function assertModelAllowed(principal: Principal | undefined, name: string, specs: ModelSpec[]): void {
  if (!mayUseModel(principal, name, specs)) {
    throw new PermissionDeniedError(`This token may not use the model '${name}'.`, 'model_not_allowed', 'model');
  }
}
