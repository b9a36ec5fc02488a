/**
 * What auth and rate limits cost on a cheap request (GET /v1/models), measured in one run:
 *   off           AUTH_DISABLED=true, no per-IP limit (helmet, CORS and sanitizing stay on)
 *   auth          HS256 JWT verified on every request, no rate limits
 *   auth+rpm      JWT + requests per minute per token only (express-rate-limit, one Redis call)
 *   auth+limits   JWT + per-IP limit + failed-auth guard + rpm (express-rate-limit, Redis) + tpm (Lua, Redis)
 * Each variant is an API child process (`spool api`); autocannon drives it from this process with
 * keep-alive connections. Variants run interleaved in short slices, six each, and the median slice
 * counts (the machine is shared: interleaving spreads other load over every variant alike). Besides
 * requests/s and latency, it reads each API process's CPU time from /proc: CPU per request is the
 * figure least moved by other load on the machine.
 * Usage: npm run bench:security [-- --duration 4 --connections 8]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { cpuSeconds } from './lib.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '1.5' }, connections: { type: 'string', default: '8' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const secret = randomBytes(32).toString('hex');
const prefix = `spoolbench-${randomUUID().slice(0, 8)}`;
const secretKey = createSecretKey(Buffer.from(secret));
const token = jwt.sign({ sub: 'bench', scope: 'generate' }, secret, { expiresIn: '1h' });
const huge = '1000000000';

const variants: { name: string; env: Record<string, string>; auth: boolean }[] = [
  { name: 'off', auth: false, env: { AUTH_DISABLED: 'true', RATE_LIMIT_IP_RPM: '0' } },
  {
    name: 'auth',
    auth: true,
    env: { JWT_SECRET_KEY: secret, RATE_LIMIT_IP_RPM: '0', RATE_LIMIT_AUTH_FAILURES: '0', RATE_LIMIT_RPM: '0', RATE_LIMIT_TPM: '0' },
  },
  {
    name: 'auth+rpm',
    auth: true,
    env: { JWT_SECRET_KEY: secret, RATE_LIMIT_IP_RPM: '0', RATE_LIMIT_AUTH_FAILURES: '0', RATE_LIMIT_RPM: huge, RATE_LIMIT_TPM: '0' },
  },
  {
    name: 'auth+limits',
    auth: true,
    env: { JWT_SECRET_KEY: secret, RATE_LIMIT_IP_RPM: huge, RATE_LIMIT_AUTH_FAILURES: '20', RATE_LIMIT_RPM: huge, RATE_LIMIT_TPM: huge },
  },
];

function startApi(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/spool.ts', 'api'], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      LOG_LEVEL: 'silent',
      METRICS_LOG_INTERVAL_S: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (http:\/\/\S+)/.exec(chunk.toString());
      if (match) resolve({ url: match[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`spool api exited with ${code}`)));
  });
}

/** Microseconds per call of a synchronous function, for the cost breakdown. */
function microseconds(fn: () => unknown, iterations = 20_000): number {
  for (let index = 0; index < 1000; index += 1) fn();
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) fn();
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

async function redisRoundTrip(): Promise<number> {
  const redis = new Redis(redisUrl);
  for (let index = 0; index < 200; index += 1) await redis.ping();
  const started = process.hrtime.bigint();
  for (let index = 0; index < 2000; index += 1) await redis.ping();
  const us = Number(process.hrtime.bigint() - started) / 1000 / 2000;
  redis.disconnect();
  return us;
}

interface Row {
  variant: string;
  rps: number;
  p50: number;
  p99: number;
  'API CPU µs/req': number;
  non2xx: number;
}

const apis = await Promise.all(variants.map((variant) => startApi(variant.env)));
const ROUNDS = 6;
const runs = new Map<string, Row[]>();
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, variant] of variants.entries()) {
      const pid = apis[index]!.child.pid!;
      const cpuBefore = cpuSeconds(pid);
      const result = await autocannon({
        url: `${apis[index]!.url}/v1/models`,
        connections,
        duration,
        headers: variant.auth ? { authorization: `Bearer ${token}` } : {},
      });
      const cpu = cpuSeconds(pid) - cpuBefore;
      const row = {
        variant: variant.name,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        'API CPU µs/req': Math.round((cpu * 1e6) / Math.max(1, result.requests.total)),
        non2xx: result.non2xx,
      };
      if (row.non2xx > 0) throw new Error(`${variant.name}: ${row.non2xx} responses were not 2xx`);
      runs.set(variant.name, [...(runs.get(variant.name) ?? []), row]);
    }
  }
} finally {
  for (const { child } of apis) child.kill('SIGTERM');
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

const median = (rowsOfVariant: Row[]) => [...rowsOfVariant].sort((a, b) => a.rps - b.rps)[Math.floor(rowsOfVariant.length / 2)]!;
const rows = new Map([...runs].map(([name, rowsOfVariant]) => [name, median(rowsOfVariant)]));
const off = rows.get('off')!;
const table = [...rows.values()].map((row) => ({
  ...row,
  'rps vs off': +(row.rps / off.rps).toFixed(3),
  'CPU vs off': +(row['API CPU µs/req'] / off['API CPU µs/req']).toFixed(2),
}));
const breakdown = {
  'jwt.verify HS256, secret as a KeyObject, as Spool does (µs/call)': +microseconds(() => jwt.verify(token, secretKey, { algorithms: ['HS256'] })).toFixed(1),
  'jwt.verify HS256, secret as a string (µs/call)': +microseconds(() => jwt.verify(token, secret, { algorithms: ['HS256'] }), 2000).toFixed(1),
  'jwt.decode (µs/call)': +microseconds(() => jwt.decode(token, { complete: true })).toFixed(1),
  'Redis round trip, PING (µs)': +(await redisRoundTrip()).toFixed(1),
};
console.log(`GET /v1/models, ${connections} keep-alive connections, ${duration} s per run, median of ${ROUNDS} interleaved runs`);
console.table(table);
console.table(breakdown);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/security-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ connections, duration, table, runs: Object.fromEntries(runs), breakdown, node: process.version }, null, 2));
console.log(`wrote ${file}`);
