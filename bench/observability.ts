// Cost of observability on the request path: one `metrics.record()` per request (Prometheus counters
// and histograms, the dashboard's ring buffer, the log-line totals), and the cost of a /metrics scrape.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createRequestMetrics, type RequestRecord } from '../apps/api/src/request-metrics.js';

const N = Number(process.env.BENCH_N ?? 200_000);
const routes = ['/v1/chat/completions', '/v1/completions', '/v1/models'];
const models = ['stories260K', 'other-model'];
const entries: RequestRecord[] = Array.from({ length: 1024 }, (_, index) => ({
  requestId: `req_${index}`,
  method: 'POST',
  route: routes[index % routes.length]!,
  model: models[index % models.length],
  status: index % 50 === 0 ? 429 : 200,
  durationMs: 50 + (index % 400),
  promptTokens: 20,
  completionTokens: 16,
  ttftMs: 10 + (index % 90),
  interTokenMs: 5,
  cache: index % 3 === 0 ? 'hit-l1' : 'miss',
  errorType: index % 50 === 0 ? 'rate_limit_error' : undefined,
}));

function time(label: string, run: (index: number) => void): { label: string; nsPerOp: number } {
  for (let index = 0; index < 10_000; index += 1) run(index);
  const start = performance.now();
  for (let index = 0; index < N; index += 1) run(index);
  return { label, nsPerOp: ((performance.now() - start) * 1e6) / N };
}

const metrics = createRequestMetrics();
const log: object[] = [];
const rows = [
  // What the request log did before metrics: build the entry and hand it on.
  time('baseline: build the log entry', (index) => {
    log[index & 1023] = { ...entries[index & 1023]!, path: '/x' };
  }),
  time('metrics.record() (Prometheus + ring + totals)', (index) => metrics.record(entries[index & 1023]!)),
];
metrics.snapshot();
const scrapes: number[] = [];
for (let index = 0; index < 50; index += 1) {
  const start = performance.now();
  await metrics.prometheus.registry.metrics();
  scrapes.push(performance.now() - start);
}
scrapes.sort((a, b) => a - b);
const dashboard = performance.now();
for (let index = 0; index < 50; index += 1) {
  metrics.history.series();
  metrics.history.rates(10);
  metrics.history.ttft();
}
const dashboardMs = (performance.now() - dashboard) / 50;

console.table(rows.map((row) => ({ step: row.label, 'ns/op': row.nsPerOp.toFixed(0) })));
console.log(
  `record() costs ${(rows[1]!.nsPerOp / rows[0]!.nsPerOp).toFixed(1)}x the baseline entry build, ${(rows[1]!.nsPerOp / 1000).toFixed(2)} µs per request`,
);
console.log(
  `/metrics render (request-path metrics, ${routes.length} routes x ${models.length} models): p50 ${scrapes[25]!.toFixed(2)} ms, max ${scrapes.at(-1)!.toFixed(2)} ms`,
);
console.log(`dashboard history read (600-s series, rates, TTFT percentiles): ${dashboardMs.toFixed(2)} ms`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/observability.json',
  JSON.stringify({ n: N, rows, scrapeP50Ms: scrapes[25], scrapeMaxMs: scrapes.at(-1), dashboardMs, at: new Date().toISOString() }, null, 2),
);
