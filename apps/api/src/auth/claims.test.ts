import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '@spool/shared';
import { principalFromClaims } from './claims.js';

describe('principalFromClaims', () => {
  it('reads sub, space-separated scopes, models and per-token limits', () => {
    expect(principalFromClaims({ sub: 'alice', scope: 'generate  batch', models: ['a'], rpm: 10, tpm: 2000.7 })).toEqual({
      sub: 'alice',
      scopes: ['generate', 'batch'],
      models: ['a'],
      rpm: 10,
      tpm: 2000,
    });
  });

  it('drops unknown scopes and non-positive limits, and accepts a scope array', () => {
    expect(principalFromClaims({ sub: 'bob', scope: ['admin', 'root', 7], rpm: -1, tpm: 'many' })).toEqual({ sub: 'bob', scopes: ['admin'] });
  });

  it.each([{}, { sub: '' }, { sub: 42 }, { sub: 'x'.repeat(257) }, { sub: 'a', models: 'gpt' }, { sub: 'a', models: [1] }])('refuses %j', (claims) => {
    expect(() => principalFromClaims(claims)).toThrow(AuthenticationError);
  });
});
