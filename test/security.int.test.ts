import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import {
  AUDIENCE,
  ec,
  ISSUER,
  otherRsa,
  pem,
  retaggedToken,
  rsa,
  SECRET,
  serveJwks,
  sign,
  tamperedToken,
  unsignedToken,
  validClaims,
} from './helpers/jwt-fixtures.js';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

type Api = 'hs' | 'rs' | 'jwks';
interface Case {
  name: string;
  api?: Api;
  method?: string;
  path?: string;
  token?: string | null;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as it is. */
  body?: unknown;
  status: number;
  code?: string | null;
  param?: string | null;
}

const now = () => Math.floor(Date.now() / 1000);
const chat = (extra: Record<string, unknown> = {}) => ({ model: MODEL, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 4, ...extra });
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const GOOD = sign(validClaims());
const CHAT = '/v1/chat/completions';

const cases: Case[] = [
  // Tokens.
  { name: 'no Authorization header', token: null, status: 401, code: 'missing_api_key' },
  { name: 'a Basic credential', token: null, headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' }, status: 401, code: 'invalid_api_key' },
  { name: 'an empty Bearer', token: null, headers: { authorization: 'Bearer ' }, status: 401, code: 'invalid_api_key' },
  { name: 'a bearer that is not a JWT', token: 'sk-not-a-jwt', status: 401, code: 'invalid_token' },
  { name: 'three garbage segments', token: 'aaaa.bbbb.cccc', status: 401, code: 'invalid_token' },
  {
    name: 'a token with a space inside',
    token: null,
    headers: { authorization: `Bearer ${GOOD.slice(0, 20)} ${GOOD.slice(20)}` },
    status: 401,
    code: 'invalid_api_key',
  },
  { name: 'alg none', token: unsignedToken(validClaims({ scope: 'generate admin' })), status: 401, code: 'invalid_token' },
  { name: 'alg none with a signature left on', token: retaggedToken(GOOD, 'none'), status: 401, code: 'invalid_token' },
  { name: 'alg NONE in capitals', token: retaggedToken(GOOD, 'NONE'), status: 401, code: 'invalid_token' },
  { name: 'expired an hour ago', token: sign(validClaims({ exp: now() - 3600 })), status: 401, code: 'token_expired' },
  { name: 'not valid for another hour', token: sign(validClaims({ nbf: now() + 3600 })), status: 401, code: 'token_not_yet_valid' },
  { name: 'signed with another secret', token: sign(validClaims(), 'f'.repeat(64)), status: 401, code: 'invalid_token' },
  { name: 'a wrong issuer', token: sign(validClaims({ iss: 'https://evil.example' })), status: 401, code: 'invalid_token' },
  { name: 'no issuer', token: sign({ sub: 'alice', scope: 'generate', aud: AUDIENCE, exp: now() + 60 }), status: 401, code: 'invalid_token' },
  { name: 'a wrong audience', token: sign(validClaims({ aud: 'someone-else' })), status: 401, code: 'invalid_token' },
  { name: 'no exp', token: sign({ sub: 'alice', scope: 'generate', iss: ISSUER, aud: AUDIENCE }), status: 401, code: 'invalid_token' },
  { name: 'no sub', token: sign({ scope: 'generate', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }), status: 401, code: 'invalid_token' },
  {
    name: 'a tampered payload (scope raised to admin)',
    token: tamperedToken(GOOD, validClaims({ scope: 'generate admin' })),
    status: 401,
    code: 'invalid_token',
  },
  { name: 'a tampered header (HS256 relabelled HS512)', token: retaggedToken(GOOD, 'HS512'), status: 401, code: 'invalid_token' },
  { name: 'an RS256 token where only a secret is configured', token: sign(validClaims(), rsa.privateKey, 'RS256'), status: 401, code: 'invalid_token' },
  { name: 'a models claim that is not a list', token: sign(validClaims({ models: 'stories260K' as unknown as string[] })), status: 401, code: 'invalid_token' },
  { name: 'a token in the query string only', token: null, path: `/v1/models?api_key=${GOOD}`, method: 'GET', status: 401, code: 'missing_api_key' },
  {
    name: 'HS/RS confusion: HS256 signed with the public key PEM',
    api: 'rs',
    token: sign(validClaims(), pem(rsa.publicKey), 'HS256'),
    method: 'GET',
    path: '/v1/models',
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'an RS256 token from another key pair',
    api: 'rs',
    token: sign(validClaims(), otherRsa.privateKey, 'RS256'),
    method: 'GET',
    path: '/v1/models',
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'an RS256 token relabelled PS256',
    api: 'rs',
    token: retaggedToken(sign(validClaims(), rsa.privateKey, 'RS256'), 'PS256'),
    method: 'GET',
    path: '/v1/models',
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'a JWKS kid the key set does not have',
    api: 'jwks',
    token: sign(validClaims(), otherRsa.privateKey, 'RS256', 'unknown-kid'),
    method: 'GET',
    path: '/v1/models',
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'a known JWKS kid but another key signed it',
    api: 'jwks',
    token: sign(validClaims(), otherRsa.privateKey, 'RS256', 'rsa-1'),
    method: 'GET',
    path: '/v1/models',
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'HS256 signed with the JWKS public key',
    api: 'jwks',
    token: sign(validClaims(), pem(rsa.publicKey), 'HS256', 'rsa-1'),
    method: 'GET',
    path: '/v1/models',
    status: 401,
    code: 'invalid_token',
  },
  // Scopes and models.
  { name: 'a batch-only token on chat', token: sign(validClaims({ scope: 'batch' })), status: 403, code: 'insufficient_scope' },
  {
    name: 'a token with no scope listing models',
    token: sign(validClaims({ scope: '' })),
    method: 'GET',
    path: '/v1/models',
    status: 403,
    code: 'insufficient_scope',
  },
  { name: 'an unknown scope name only', token: sign(validClaims({ scope: 'superuser' })), status: 403, code: 'insufficient_scope' },
  { name: 'a generate token on /v1/batches', token: GOOD, method: 'GET', path: '/v1/batches', status: 403, code: 'insufficient_scope' },
  { name: 'a generate token on /v1/functions', token: GOOD, method: 'GET', path: '/v1/functions', status: 403, code: 'insufficient_scope' },
  { name: 'a generate token on /metrics', token: GOOD, method: 'GET', path: '/metrics', status: 403, code: 'insufficient_scope' },
  { name: "a generate token on the dashboard's data", token: GOOD, method: 'GET', path: '/dashboard/data', status: 403, code: 'insufficient_scope' },
  { name: "no token on the dashboard's data", token: null, method: 'GET', path: '/dashboard/data', status: 401, code: 'missing_api_key' },
  { name: "a generate token on another tenant's job", token: GOOD, method: 'GET', path: '/v1/jobs/job_doesnotexist', status: 404, code: 'job_not_found' },
  { name: 'a generate token on /admin (odd case and slashes)', token: GOOD, method: 'GET', path: '//Admin//queues', status: 403, code: 'insufficient_scope' },
  {
    name: 'spool_execute_tools without the functions scope',
    body: chat({ spool_execute_tools: true }),
    status: 403,
    code: 'insufficient_scope',
    param: 'spool_execute_tools',
  },
  { name: "a model outside the token's models", token: sign(validClaims({ models: ['gpt-4o'] })), status: 403, code: 'model_not_allowed', param: 'model' },
  {
    name: "GET a model outside the token's models",
    token: sign(validClaims({ models: ['gpt-4o'] })),
    method: 'GET',
    path: `/v1/models/${MODEL}`,
    status: 403,
    code: 'model_not_allowed',
  },
  // Bodies.
  { name: 'a body over BODY_LIMIT', body: chat({ messages: [{ role: 'user', content: 'x'.repeat(70_000) }] }), status: 413, code: 'request_too_large' },
  {
    name: 'nesting 40 levels deep',
    body: `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"x":${nested(40)}}`,
    status: 400,
    code: 'json_too_deep',
  },
  { name: 'nesting 30,000 levels deep', body: `{"x":${nested(30_000)}}`, status: 400, code: 'json_too_deep' },
  {
    name: 'a NUL character in a message',
    body: chat({ messages: [{ role: 'user', content: 'a\u0000b' }] }),
    status: 400,
    code: 'invalid_characters',
    param: 'messages[0].content',
  },
  {
    name: 'a lone high surrogate',
    body: `{"model":"${MODEL}","messages":[{"role":"user","content":"a\\ud800b"}]}`,
    status: 400,
    code: 'invalid_unicode',
    param: 'messages[0].content',
  },
  {
    name: 'a lone low surrogate in a key',
    body: `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"\\udc00":1}`,
    status: 400,
    code: 'invalid_unicode',
  },
  { name: 'invalid JSON', body: '{"model": "stories260K", "messages": [', status: 400, code: 'invalid_json' },
  { name: 'a JSON string as the body', body: '"hello"', status: 400, code: 'invalid_json' },
  { name: 'a JSON array as the body', body: '[1,2,3]', status: 400, code: 'invalid_value' },
  { name: 'JSON sent as text/plain', body: JSON.stringify(chat()), headers: { 'content-type': 'text/plain' }, status: 400, code: 'invalid_value' },
  {
    name: 'more messages than MAX_MESSAGES',
    body: chat({ messages: Array.from({ length: 9 }, () => ({ role: 'user', content: 'hi' })) }),
    status: 400,
    code: 'too_many_messages',
    param: 'messages',
  },
  {
    name: 'one message over MAX_MESSAGE_CHARS',
    body: chat({ messages: [{ role: 'user', content: 'y'.repeat(2001) }] }),
    status: 400,
    code: 'message_too_long',
    param: 'messages[0].content',
  },
  {
    name: 'messages over MAX_PROMPT_CHARS together',
    body: chat({ messages: Array.from({ length: 3 }, () => ({ role: 'user', content: 'z'.repeat(1900) })) }),
    status: 400,
    code: 'prompt_too_long',
  },
  {
    name: 'a legacy prompt over MAX_MESSAGE_CHARS',
    path: '/v1/completions',
    body: { model: MODEL, prompt: 'p'.repeat(2500) },
    status: 400,
    code: 'message_too_long',
    param: 'prompt',
  },
  { name: 'a huge max_tokens', body: chat({ max_tokens: 1_000_000_000 }), status: 400, code: 'context_length_exceeded' },
  { name: 'a max_tokens past the context', body: chat({ max_completion_tokens: 100_000 }), status: 400, code: 'context_length_exceeded' },
  { name: 'a negative max_tokens', body: chat({ max_tokens: -5 }), status: 400, code: 'invalid_value', param: 'max_tokens' },
  { name: 'a fractional max_tokens', body: chat({ max_tokens: 2.5 }), status: 400, code: 'invalid_value', param: 'max_tokens' },
  { name: 'a negative temperature', body: chat({ temperature: -1 }), status: 400, code: 'invalid_value', param: 'temperature' },
  { name: 'a temperature of 1e308', body: chat({ temperature: 1e308 }), status: 400, code: 'invalid_value', param: 'temperature' },
  { name: 'a string where a number goes', body: chat({ temperature: '0.5' }), status: 400, code: 'invalid_value', param: 'temperature' },
  { name: 'five stop sequences', body: chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), status: 400, code: 'invalid_value', param: 'stop' },
  { name: 'no messages', body: chat({ messages: [] }), status: 400, code: 'invalid_value', param: 'messages' },
  { name: 'messages as an object', body: chat({ messages: { role: 'user', content: 'hi' } }), status: 400, code: 'invalid_value', param: 'messages' },
  { name: 'an unknown role', body: chat({ messages: [{ role: 'root', content: 'hi' }] }), status: 400, code: 'invalid_value' },
  { name: 'a number as the model', body: chat({ model: 42 }), status: 400, code: 'invalid_value', param: 'model' },
  { name: 'a model that does not exist', body: chat({ model: 'gpt-9' }), status: 404, code: 'model_not_found', param: 'model' },
  { name: 'n of 1000', body: chat({ n: 1000 }), status: 400, code: 'invalid_value', param: 'n' },
  { name: 'stream as a string', body: chat({ stream: 'yes' }), status: 400, code: 'invalid_value', param: 'stream' },
  { name: 'DELETE on chat completions', method: 'DELETE', body: undefined, status: 404, code: 'unknown_route' },
  { name: 'an encoded path that escapes /v1/models', method: 'GET', path: '/v1/models/..%2F..%2Fetc%2Fpasswd', status: 404, code: 'model_not_found' },
];

describe('hostile and broken requests', () => {
  let hs: Spool;
  let rs: Spool;
  let jwksApi: Spool;
  let worker: InProcessWorker;
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  const api = (name: Api) => ({ hs, rs, jwks: jwksApi })[name];

  beforeAll(async () => {
    const common = { AUTH_DISABLED: 'false', JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, RATE_LIMIT_AUTH_FAILURES: '0', RATE_LIMIT_IP_RPM: '0' };
    jwks = await serveJwks({ 'rsa-1': rsa.publicKey, 'ec-1': ec.publicKey });
    [hs, rs, jwksApi] = await Promise.all([
      startSpool({ ...common, JWT_SECRET_KEY: SECRET, BODY_LIMIT: '64kb', MAX_MESSAGES: '8', MAX_MESSAGE_CHARS: '2000', MAX_PROMPT_CHARS: '5000' }),
      startSpool({ ...common, JWT_PUBLIC_KEY: pem(rsa.publicKey) }),
      startSpool({ ...common, JWT_JWKS_URL: jwks.url }),
    ]);
    worker = await startInProcessWorker(hs.config);
    await hs.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await Promise.all([hs?.close(), rs?.close(), jwksApi?.close()]);
    await jwks?.close();
  });

  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('$name → $status', async (testCase) => {
    const method = testCase.method ?? 'POST';
    const body = testCase.body === undefined ? (method === 'POST' ? chat() : undefined) : testCase.body;
    const token = testCase.token === undefined ? GOOD : testCase.token;
    const response = await fetch(`${api(testCase.api ?? 'hs').url}${testCase.path ?? CHAT}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...testCase.headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const json = (await response.json()) as { error: Record<string, unknown> };
    expect({ status: response.status, code: json.error?.code }).toEqual({ status: testCase.status, code: testCase.code });
    expect(Object.keys(json)).toEqual(['error']);
    expect(typeof json.error.message).toBe('string');
    expect(typeof json.error.type).toBe('string');
    expect('param' in json.error).toBe(true);
    if (testCase.param !== undefined) expect(json.error.param).toBe(testCase.param);
    expect(JSON.stringify(json)).not.toMatch(/\bat .*\.ts:\d+/);
    if (testCase.status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="spool"/);
    if (testCase.code === 'missing_api_key') expect(response.headers.get('www-authenticate')).toBe('Bearer realm="spool"');
    if (testCase.code === 'invalid_token') expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    if (testCase.code === 'insufficient_scope') expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('serves a valid token end to end through the official client, with rate-limit headers', async () => {
    const client = new OpenAI({ baseURL: `${hs.url}/v1`, apiKey: GOOD, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create(chat({ max_tokens: 5 }) as never).withResponse();
    expect((data as unknown as OpenAI.ChatCompletion).choices[0]!.message.content!.length).toBeGreaterThan(0);
    for (const kind of ['requests', 'tokens']) {
      expect(Number(response.headers.get(`x-ratelimit-limit-${kind}`))).toBeGreaterThan(0);
      expect(response.headers.get(`x-ratelimit-remaining-${kind}`)).toMatch(/^\d+$/);
      expect(response.headers.get(`x-ratelimit-reset-${kind}`)).toMatch(/^(\d+ms|\d+s|\d+m\d+s)$/);
    }
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it("maps 401 and 403 to the official client's error classes", async () => {
    const anonymous = new OpenAI({ baseURL: `${hs.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const batchOnly = new OpenAI({ baseURL: `${hs.url}/v1`, apiKey: sign(validClaims({ scope: 'batch' })), maxRetries: 0 });
    await expect(batchOnly.chat.completions.create(chat() as never)).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('accepts a token expired within the clock tolerance, HS384/HS512, a lowercase scheme and the listed model', async () => {
    for (const token of [
      sign(validClaims({ exp: now() - 5 })),
      sign(validClaims(), SECRET, 'HS384'),
      sign(validClaims(), SECRET, 'HS512'),
      sign(validClaims({ models: [MODEL], scope: 'batch generate' })),
    ]) {
      const response = await fetch(`${hs.url}/v1/models`, { headers: { authorization: `bearer ${token}` } });
      expect(response.status).toBe(200);
    }
  });

  it('accepts RS256 with JWT_PUBLIC_KEY and RS256/ES256 from the JWKS, fetching the key set again only for an unknown kid', async () => {
    const viaPem = await fetch(`${rs.url}/v1/models`, { headers: { authorization: `Bearer ${sign(validClaims(), rsa.privateKey, 'RS256')}` } });
    expect(viaPem.status).toBe(200);
    for (const token of [sign(validClaims(), rsa.privateKey, 'RS256', 'rsa-1'), sign(validClaims(), ec.privateKey, 'ES256', 'ec-1')]) {
      const response = await fetch(`${jwksApi.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
    }
    const before = jwks.fetches();
    await fetch(`${jwksApi.url}/v1/models`, { headers: { authorization: `Bearer ${sign(validClaims(), rsa.privateKey, 'RS256', 'rsa-1')}` } });
    expect(jwks.fetches()).toBe(before);
    await fetch(`${jwksApi.url}/v1/models`, { headers: { authorization: `Bearer ${sign(validClaims(), rsa.privateKey, 'RS256', 'rotated-kid')}` } });
    expect(jwks.fetches()).toBe(before + 1);
  });

  it('keeps /health, /ready, /docs and the dashboard page open, serves /metrics to admin, and ignores unknown top-level fields', async () => {
    for (const path of ['/health', '/ready', '/docs', '/openapi.json', '/dashboard']) expect((await fetch(`${hs.url}${path}`)).status, path).toBe(200);
    const admin = { authorization: `Bearer ${sign(validClaims({ scope: 'admin' }))}` };
    expect((await fetch(`${hs.url}/metrics`, { headers: admin })).status).toBe(200);
    expect((await fetch(`${hs.url}/dashboard/data`, { headers: admin })).status).toBe(200);
    const response = await fetch(`${hs.url}${CHAT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GOOD}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat({ a_field_from_next_year: { x: 1 }, __proto__: { polluted: true } })),
    });
    expect(response.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lists only the models a token may use', async () => {
    const list = async (token: string) =>
      ((await (await fetch(`${hs.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { id: string }[] }).data.map(
        (model) => model.id,
      );
    expect(await list(GOOD)).toEqual([MODEL]);
    expect(await list(sign(validClaims({ models: ['another-model'] })))).toEqual([]);
  });
});
