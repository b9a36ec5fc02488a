import { AuthenticationError, SCOPES, type Principal } from '@spool/shared';

const positive = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined);

/**
 * The principal a verified token's claims describe: `sub`, OAuth 2.0 `scope` (space-separated; an
 * array is accepted too), an optional `models` list, and optional `rpm`/`tpm` limits.
 */
export function principalFromClaims(claims: Record<string, unknown>): Principal {
  const { sub, scope, models } = claims;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
    throw new AuthenticationError('The token has no valid `sub` claim.', 'invalid_token');
  }
  const scopeList = typeof scope === 'string' ? scope.split(' ') : Array.isArray(scope) ? scope : [];
  const known = new Set<string>(SCOPES);
  const scopes = [...new Set(scopeList.filter((entry): entry is string => typeof entry === 'string' && known.has(entry)))];
  if (models !== undefined && !(Array.isArray(models) && models.every((model) => typeof model === 'string'))) {
    throw new AuthenticationError("The token's `models` claim must be an array of model ids.", 'invalid_token');
  }
  return {
    sub,
    scopes,
    ...(models === undefined ? {} : { models: models as string[] }),
    ...(positive(claims.rpm) === undefined ? {} : { rpm: positive(claims.rpm) }),
    ...(positive(claims.tpm) === undefined ? {} : { tpm: positive(claims.tpm) }),
  };
}
