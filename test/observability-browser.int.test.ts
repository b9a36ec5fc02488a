import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL, startInProcessWorker, startSpool, type InProcessWorker, type Spool } from './helpers/spool-harness.js';

/** Debian's chromium; .ci/run installs it when it is missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'artifacts';
const TOKEN = 'docs-try-it-token';

/** Console errors and uncaught page errors, which the pages must not have. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

describe('the docs, dashboard and queue board in headless Chromium', () => {
  let spool: Spool;
  let worker: InProcessWorker;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    spool = await startSpool();
    worker = await startInProcessWorker(spool.config);
    await spool.waitForWorkers(1);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await spool?.close();
  });

  it('renders /docs and a "Try it out" of GET /v1/models succeeds with the bearer token', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
    const offsite: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(spool.url) && !request.url().startsWith('data:')) offsite.push(request.url());
    });
    await page.goto(`${spool.url}/docs`);
    await page.locator('.swagger-ui .info .title', { hasText: 'Spool' }).waitFor();

    await page.locator('.scheme-container button.authorize').click();
    await page.locator('.modal-ux input').fill(TOKEN);
    await page.locator('.modal-ux button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();

    const operation = page.locator('#operations-Models-getV1Models');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    const sent = page.waitForRequest((request) => request.url() === `${spool.url}/v1/models`);
    await operation.locator('button.execute').click();
    expect((await sent).headers().authorization).toBe(`Bearer ${TOKEN}`);
    const live = operation.locator('.live-responses-table .response');
    await expect.poll(() => live.locator('.response-col_status').first().textContent()).toContain('200');
    expect(await live.locator('.response-col_description').first().textContent()).toContain(`"id": "${MODEL}"`);
    await live.first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}/docs.png` });
    expect(errors).toEqual([]);
    expect(offsite, 'the docs load nothing from outside the server').toEqual([]);
    await page.close();
  });

  it('updates the dashboard live while a load runs, without console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = watchErrors(page);
    await page.goto(`${spool.url}/dashboard`);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^updated/);
    expect(await page.locator('#tps').textContent()).toBe('0.0');
    await expect.poll(() => page.locator('#workers').textContent()).toContain(worker.worker.id);
    expect(await page.locator('#queues').textContent()).toContain(MODEL);

    let loading = true;
    const load = (async () => {
      const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'Once upon a time' }], max_tokens: 8 };
      while (loading) await Promise.all([spool.client.chat.completions.create(request), spool.client.chat.completions.create(request)]);
    })();
    const seen = new Set<string>();
    try {
      await expect
        .poll(
          async () => {
            seen.add(`${await page.locator('#rps').textContent()} ${await page.locator('#tps').textContent()}`);
            return seen.size;
          },
          { timeout: 20_000, interval: 500 },
        )
        .toBeGreaterThanOrEqual(3);
      await expect.poll(() => page.locator('#ttft-p50').textContent()).toMatch(/\d+ (ms|s)$/);
      // Tokens per second is the last second's rate: read it while the load still runs.
      await expect.poll(async () => Number(await page.locator('#tps').textContent())).toBeGreaterThan(0);
    } finally {
      loading = false;
      await load;
    }
    expect(await page.locator('#workers').textContent()).toMatch(new RegExp(`\\d+ / ${spool.config.MODEL_SLOTS + spool.config.MODEL_PRIORITY_SLOTS}`));
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('serves the BullMQ board at /admin/queues with the model queue', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = watchErrors(page);
    await page.goto(`${spool.url}/admin/queues`);
    await expect.poll(() => page.locator('body').textContent(), { timeout: 15_000 }).toContain(`gen.${MODEL}`);
    await page.screenshot({ path: `${ARTIFACTS}/queues.png` });
    expect(errors).toEqual([]);
    await page.close();
  });
});
