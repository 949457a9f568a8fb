/**
 * The audit log, the outbox and the pack bundle download in a real browser against the real
 * server (see dashboard.test.ts for the set-up): an auditor filters and pages the audit log,
 * verifies the chain and downloads a pack's offline bundle; an admin reads the outbox and
 * queues a dead webhook message again. CABINET_SCREENSHOTS=1 also writes
 * docs/screenshots/{audit,outbox}.png.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { sql } from 'kysely';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS } from '../../src/outbox/retry-schedule.js';
import { systemContext } from '../../src/platform/context.js';
import { dropAppendOnly } from '../../src/platform/db/migrations/append-only.js';
import { type CabWorld, cabWorld } from '../cab-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from '../test-app.js';
import {
  ensureBuilt,
  expectAccessible,
  launchChromium,
  listen,
  type Served,
  screenshot,
  signIn,
  watchPage,
} from './browser-harness.js';

const HOUR_MS = 3_600_000;

/** A loopback port nobody listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the audit and outbox screens in a browser', () => {
  let t: TestApp;
  let world: CabWorld;
  let browser: Browser;
  let context: BrowserContext;
  let served: Served;
  let base: string;
  let auditor: TestUser;
  let submitter: TestUser;
  let requestId: string;
  let packId: string;
  let deadId: string;

  beforeAll(async () => {
    await ensureBuilt();
    t = await startTestApp('sqlite');

    // A webhook message to an endpoint that refuses every connection, tried until it is dead
    // (first, while nobody is signed in: the retry schedule spans days of the server's clock).
    const port = await closedPort();
    const endpoint = await t.call({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: {
        plane: 'intune',
        url: `http://127.0.0.1:${port}/hook`,
        events: ['deployment.authorized', 'deployment.denied'],
      },
    });
    if (endpoint.statusCode !== 201) throw new Error(`webhook: ${endpoint.body}`);
    const endpointId = endpoint.json<{ id: string }>().id;
    await t.container.database.transaction((trx) =>
      t.container.outbox.enqueue(trx, systemContext(), {
        channel: 'webhook',
        event_type: 'deployment.denied',
        plane: 'intune',
        endpoint_id: endpointId,
        subject_id: 'req-unreachable',
        payload: { request: { id: 'req-unreachable', status: 'denied' } },
      }),
    );
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await t.container.dispatcher.drain();
      t.clock.advance(30 * HOUR_MS); // the longest delay, 24 h, plus its jitter
    }
    const [dead] = await t.container.outbox.list({ endpoint_id: endpointId, limit: 10 });
    if (dead?.status !== 'dead') throw new Error(`webhook message: ${JSON.stringify(dead)}`);
    deadId = dead.id;

    auditor = await t.user(['auditor'], 'audrey.auditor@example.org');
    submitter = await t.user(['submitter'], 'sam.submitter@example.org');
    await t.user(['cab_member'], 'carl.cab@example.org');
    const reviewer = await t.user(['security_reviewer']);
    world = await cabWorld(t, reviewer);
    const pack = await world.pack(submitter, 'low_violation');
    packId = pack.packId;
    // A pending request: the CAB members are told by email (a message waiting in the outbox).
    const submitted = await t.call({
      method: 'POST',
      url: '/api/v1/cab/submit',
      as: submitter,
      payload: { evidence_pack_id: packId, justification: 'Quarterly 7-Zip update' },
    });
    if (submitted.statusCode !== 201) throw new Error(`submit: ${submitted.body}`);
    requestId = submitted.json<{ id: string }>().id;

    served = await listen(t);
    base = served.base;
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      bypassCSP: true,
      acceptDownloads: true,
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    world?.dispose();
    await served?.close();
  });

  it('an auditor filters and pages the audit log, verifies the chain, downloads a bundle', async () => {
    const page = await context.newPage();
    const { consoleErrors, failed, apiCalls } = watchPage(page);

    await page.goto(`${base}/audit?limit=3`);
    const before = apiCalls.length;
    await signIn(page, auditor.token);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.locator('table.audit tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    await page.waitForLoadState('networkidle');
    expect(apiCalls.slice(before)).toEqual(['POST /api/v1/session', 'GET /api/v1/audit/events']);
    // Newest first by default.
    const seqs = async () =>
      (await page.locator('table.audit tbody tr td:first-child').allTextContents()).map(Number);
    const first = await seqs();
    expect([...first].sort((a, b) => b - a)).toEqual(first);
    await expect(page.getByRole('link', { name: 'Outbox' }).isVisible()).resolves.toBe(true);
    await expectAccessible(page, 'audit log');

    // Only the submitter's events: every row's actor is theirs.
    const beforeFilter = apiCalls.length;
    await page.getByLabel('Actor').fill(submitter.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(async () =>
        page
          .locator('table.audit tbody tr td:nth-child(4) code')
          .evaluateAll((codes) => codes.map((c) => c.getAttribute('title'))),
      )
      .toEqual([submitter.id, submitter.id, submitter.id]);
    await page.waitForLoadState('networkidle');
    expect(apiCalls.slice(beforeFilter)).toEqual(['GET /api/v1/audit/events']);
    expect(new URL(page.url()).searchParams.get('actor')).toBe(submitter.id);
    await expect(page.locator('form.filters').count()).resolves.toBe(1);
    await expect(page.getByLabel('Actor').inputValue()).resolves.toBe(submitter.id);
    const pageOne = await seqs();

    // The next page: one call with the API's cursor, older events of the same actor.
    const beforeNext = apiCalls.length;
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await expect.poll(async () => (await seqs())[0]).toBeLessThan(Math.min(...pageOne));
    await page.waitForLoadState('networkidle');
    expect(apiCalls.slice(beforeNext)).toEqual(['GET /api/v1/audit/events']);

    // An event's data on demand.
    const details = page.locator('table.audit details').first();
    await details.locator('summary').click();
    await expect.poll(() => details.locator('pre').isVisible()).toBe(true);

    // The chain verifies.
    await page.getByRole('button', { name: 'Verify chain' }).click();
    const result = page.locator('.verify-result');
    await expect.poll(() => result.textContent()).toMatch(/Chain verified: \d+ events checked/);
    await expectAccessible(page, 'audit log, verified');
    await screenshot(page, 'audit');

    // A time window from the URL: nothing happened after tomorrow; the field shows the bound.
    const tomorrow = new Date(t.clock.now().getTime() + 86_400_000).toISOString();
    await page.goto(`${base}/audit?from=${encodeURIComponent(tomorrow)}`);
    await expect
      .poll(() => page.locator('table.audit tbody').textContent())
      .toBe('No events match these filters.');
    await expect(page.getByLabel('From').inputValue()).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(apiCalls.at(-1)).toBe('GET /api/v1/audit/events');

    // The request's pack: its offline bundle, downloaded as a file.
    await page.goto(`${base}/requests/${requestId}`);
    await page.getByRole('heading', { name: '7-Zip' }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download the offline bundle' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^evidence-pack-.+\.bundle\.json$/);
    const bundle = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
      format: string;
      pack: { id: string };
    };
    expect(bundle.format).toBe('cabinet-evidence-bundle/v1');
    expect(bundle.pack.id).toBe(packId);

    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('an admin reads the outbox and queues a dead message again', async () => {
    const page = await context.newPage();
    const { consoleErrors, failed, apiCalls } = watchPage(page);
    await page.goto(`${base}/`);
    // The auditor's session is still the context's: sign out first.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, t.admin.token);
    await page.getByRole('heading', { name: 'CAB queue' }).waitFor();
    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    const table = page.locator('table.outbox');
    // The CAB members' email about the pending request, waiting (no mail server here).
    await expect.poll(() => table.textContent()).toContain('cab.request.submitted');
    await expect.poll(() => table.textContent()).toContain('carl.cab@example.org');
    await expectAccessible(page, 'outbox');

    // The dead ones: the webhook message and its ten refused attempts.
    await page.getByRole('link', { name: 'Dead' }).click();
    await expect.poll(() => page.locator('table.outbox tbody tr').count()).toBe(1);
    await expect.poll(() => table.textContent()).toContain('deployment.denied');
    await page.getByRole('button', { name: /deployment\.denied/ }).click();
    const log = page.locator('section[aria-labelledby="attempts"]');
    await expect.poll(() => log.locator('table.attempts tbody tr').count()).toBe(MAX_ATTEMPTS);
    expect(apiCalls.at(-1)).toBe(`GET /api/v1/outbox/${deadId}`);
    await expectAccessible(page, 'outbox attempt log');
    await screenshot(page, 'outbox');

    // Retry: pending again, its attempts kept; the dead list is empty now.
    await page.getByRole('button', { name: 'Retry delivery' }).click();
    await expect.poll(() => log.textContent()).toContain('Queued again');
    await expect.poll(() => log.locator('.badge').first().textContent()).toBe('Pending');
    expect(apiCalls).toContain(`POST /api/v1/outbox/${deadId}/retry`);
    await expect.poll(() => table.textContent()).toContain('No messages with status dead.');
    await expect(log.locator('table.attempts tbody tr').count()).resolves.toBe(MAX_ATTEMPTS);
    await expect(page.getByRole('button', { name: 'Retry delivery' }).count()).resolves.toBe(0);
    await expectAccessible(page, 'outbox after retry');

    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 120_000);

  // Last: it breaks the chain for good.
  it('verifying an edited chain names the first broken seq and why', async () => {
    const db = t.container.database.db;
    await dropAppendOnly(db, t.container.database.dialect, 'audit_events');
    await sql`update audit_events set data = ${'{"edited":true}'} where seq = 3`.execute(db);
    const fresh = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      bypassCSP: true,
    });
    const page = await fresh.newPage();
    const { consoleErrors, failed } = watchPage(page);
    await page.goto(`${base}/audit`);
    await signIn(page, auditor.token);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    const result = page.locator('.verify-result');
    await expect.poll(() => result.textContent()).toMatch(/^Chain broken at seq 3 \(Edited\): /);
    await expectAccessible(page, 'audit log, broken chain');
    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await fresh.close();
  }, 60_000);
});
