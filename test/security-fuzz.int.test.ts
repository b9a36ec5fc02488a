import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AUDIENCE, ISSUER, SECRET, sign, tamperedToken, validClaims } from './helpers/jwt-fixtures.js';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

const GOOD = sign(validClaims({ scope: 'generate batch functions admin' }));

const paths = fc.oneof(
  { arbitrary: fc.constantFrom('/v1/chat/completions', '/v1/completions'), weight: 4 },
  fc.constantFrom(
    '/v1/chat/completions',
    '/v1/chat/completions/stream',
    '/v1/completions',
    '/v1/models',
    `/v1/models/${MODEL}`,
    '/v1/batches',
    '/metrics',
    '/health',
    '/v1',
  ),
  fc.array(fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/), { maxLength: 4 }).map((segments) => `/v1/${segments.join('/')}`),
);

const authorization = fc.oneof(
  fc.constant(undefined),
  { arbitrary: fc.constant(`Bearer ${GOOD}`), weight: 8 },
  fc.constant(`Bearer ${tamperedToken(GOOD, validClaims({ sub: 'mallory' }))}`),
  fc.stringMatching(/^[\x20-\x7e]{0,80}$/).map((text) => `Bearer ${text}`),
  fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
);

/** Values a client might put in any field: right and wrong types, edge numbers, odd strings. */
const anyValue = fc.oneof(
  fc.integer({ min: -10, max: 40 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER, null, true, '', 'stop', [], {}),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const chatLike = fc.record(
  {
    model: fc.oneof(fc.constant(MODEL), anyValue),
    messages: fc.oneof(
      fc.array(
        fc.record(
          {
            role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool'), anyValue),
            content: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), anyValue),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      anyValue,
    ),
    prompt: anyValue,
    max_tokens: fc.oneof(fc.integer({ min: -2, max: 8 }), anyValue),
    temperature: anyValue,
    top_p: anyValue,
    n: fc.oneof(fc.integer({ min: 0, max: 3 }), anyValue),
    stop: anyValue,
    seed: anyValue,
    stream: anyValue,
    stream_options: anyValue,
    unknown_field: anyValue,
  },
  { requiredKeys: [] },
);

/** Bodies: plausible requests with wrong parts, arbitrary JSON, and raw text that is not JSON at all. */
const body = fc.oneof(
  chatLike.map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constant(undefined),
);

const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,60}$/);
const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'x-forwarded-for',
    'origin',
    'accept',
    'accept-encoding',
    'x-request-id',
    'cookie',
    'access-control-request-method',
    'content-encoding',
    'x-custom',
  ),
  headerValue,
  { maxKeys: 4 },
);

describe('fuzzed requests', () => {
  let spool: Spool;
  let worker: InProcessWorker;

  beforeAll(async () => {
    spool = await startSpool({
      AUTH_DISABLED: 'false',
      JWT_SECRET_KEY: SECRET,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      RATE_LIMIT_AUTH_FAILURES: '0',
      RATE_LIMIT_IP_RPM: '0',
      RATE_LIMIT_RPM: '0',
      RATE_LIMIT_TPM: '0',
      CORS_ORIGINS: 'https://app.example.com',
      MODEL_CONTEXT_SIZE: '256',
    });
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
  });
  afterAll(async () => {
    await worker?.close();
    await spool?.close();
  });

  it('never answers 5xx and always answers errors in the OpenAI shape', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
        paths,
        authorization,
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/vnd.api+json',
          undefined,
        ),
        body,
        extraHeaders,
        async (method, path, auth, contentType, payload, headers) => {
          const withBody = method !== 'GET' && payload !== undefined;
          const response = await fetch(`${spool.url}${path}`, {
            method,
            headers: {
              ...headers,
              ...(auth === undefined ? {} : { authorization: auth }),
              ...(contentType && withBody ? { 'content-type': contentType } : {}),
            },
            body: withBody ? payload : undefined,
            signal: AbortSignal.timeout(20_000),
          });
          const text = await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(response.status, `${method} ${path} → ${response.status}: ${text.slice(0, 200)}`).toBeLessThan(500);
          if (response.status >= 400) {
            const json = JSON.parse(text) as { error: { message: unknown; type: unknown } };
            expect(typeof json.error.message).toBe('string');
            expect(typeof json.error.type).toBe('string');
          }
        },
      ),
      { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    if (process.env.FUZZ_DEBUG) console.log(Object.fromEntries(statuses));
    // The fuzz reached past auth and validation, not only the front door.
    expect([...statuses.keys()].some((status) => status < 300)).toBe(true);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
    expect((await fetch(`${spool.url}/health`)).status).toBe(200);
  }, 120_000);
});
