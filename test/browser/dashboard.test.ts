/**
 * The dashboard in a real browser against the real server: headless Debian chromium through
 * playwright-core, the app listening on 127.0.0.1 (ephemeral port) on a SQLite database,
 * serving the freshly built web/dist. Data is made through the API (test/cab-fixtures.ts).
 * CABINET_SCREENSHOTS=1 also writes docs/screenshots/{queue,request-detail,gate}.png.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CabWorld, cabWorld } from '../cab-fixtures.js';
import { addEvidence } from '../intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from '../test-app.js';
import {
  ensureBuilt,
  expectAccessible,
  expectServerRefusal,
  launchChromium,
  listen,
  type Served,
  screenshot,
  signIn,
  watchPage,
} from './browser-harness.js';

async function submit(t: TestApp, as: TestUser, packId: string): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/cab/submit',
    as,
    payload: { evidence_pack_id: packId, justification: 'Quarterly 7-Zip update for all desks' },
  });
  if (res.statusCode !== 201) throw new Error(`submit: ${res.statusCode} ${res.body}`);
  const body = res.json<{ id: string; status: string }>();
  if (body.status !== 'pending') throw new Error(`submit: ${body.status}, not pending`);
  return body.id;
}

describe('the CAB dashboard in a browser', () => {
  let t: TestApp;
  let world: CabWorld;
  let browser: Browser;
  let context: BrowserContext;
  let served: Served;
  let base: string;
  let member: TestUser;
  let submitter: TestUser;
  let mainId: string;
  let ownId: string;

  beforeAll(async () => {
    await ensureBuilt();
    t = await startTestApp('sqlite');
    member = await t.user(['cab_member'], 'alice.cab@example.org');
    // Also a CAB member: the server, not the screen, must refuse the vote on their own request.
    submitter = await t.user(['submitter', 'cab_member'], 'sam.submitter@example.org');
    const reviewer = await t.user(['security_reviewer']);
    world = await cabWorld(t, reviewer);
    // Two older requests (a page of two, then one), then the one the CAB member approves: a
    // second pack version, so the request has a diff to its previous version.
    const first = await world.pack(submitter, 'low_violation');
    ownId = await submit(t, submitter, first.packId);
    const second = await world.pack(submitter, 'low_violation');
    await submit(t, submitter, second.packId);
    const main = await world.pack(submitter, 'low_violation');
    const lab = JSON.stringify({
      stage: 'lab',
      total: 6,
      passed: 6,
      failed: 0,
      skipped: 0,
      coverage_percent: 72,
    });
    const added = await addEvidence(t, submitter, main.intentId, 'kind=test_results', lab);
    if (added.statusCode >= 300) throw new Error(`evidence: ${added.body}`);
    const v2 = await world.generate(main.intentId, submitter);
    mainId = await submit(t, submitter, v2.id);

    served = await listen(t);
    base = served.base;
    browser = await launchChromium();
    // The server's CSP allows only its own scripts; axe-core is injected by the test.
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    world?.dispose();
    await served?.close();
  });

  it('a CAB member approves with a condition; the submitter is refused their own', async () => {
    const page = await context.newPage();
    const { consoleErrors, failed, apiCalls } = watchPage(page);

    // Sign in as the CAB member, on the queue with pages of two.
    await page.goto(`${base}/?limit=2`);
    await page.getByRole('heading', { name: 'cabinet — sign in' }).waitFor();
    await expectAccessible(page, 'sign-in');
    const before = apiCalls.length;
    await signIn(page, member.token);
    await page.getByRole('heading', { name: 'CAB queue' }).waitFor();
    const rows = page.locator('table.queue tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await page.waitForLoadState('networkidle');
    expect(apiCalls.slice(before)).toEqual(['POST /api/v1/session', 'GET /api/v1/cab/pending']);
    await expect.poll(() => page.locator('table.queue').textContent()).toContain('0 / 1');
    await expectAccessible(page, 'queue');
    await screenshot(page, 'queue');

    // The next page: one more call with the API's cursor, one row.
    const beforeNext = apiCalls.length;
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    await page.waitForLoadState('networkidle');
    expect(apiCalls.slice(beforeNext)).toEqual(['GET /api/v1/cab/pending']);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1', { exact: true }).waitFor();

    // The newest request, v2 of its intent: its risk chart and its diff.
    await page.locator(`a[href="/requests/${mainId}"]`).click();
    await page.getByRole('heading', { name: '7-Zip' }).waitFor();
    await expect(page.getByRole('img', { name: /Risk score \d+/ }).isVisible()).resolves.toBe(true);
    const diff = page.locator('section[aria-labelledby="diff"]');
    await expect.poll(() => diff.textContent()).toMatch(/Version 1\.0 → 1\.1/);
    await expectAccessible(page, 'request detail');
    await screenshot(page, 'request-detail');

    // Approve with a blocking condition before ring1: one approval decides a LOW request.
    await page.getByRole('button', { name: 'Add a condition' }).click();
    await page.getByLabel('Text').fill('Verify the EDR exclusion on ring0 devices');
    await page.getByLabel('Before ring').selectOption('ring1');
    await page.getByRole('button', { name: 'Approve with conditions' }).click();
    const status = page.locator('.status-line .badge').first();
    await expect.poll(() => status.textContent()).toBe('Approved with conditions');
    await expect
      .poll(() => page.locator('section[aria-labelledby="conditions"]').textContent())
      .toContain('Verify the EDR exclusion');

    // The gate: ring0 may start, ring1 waits for the condition.
    await page.getByRole('link', { name: 'Gate per ring' }).click();
    await page.getByRole('heading', { name: /^Gate:/ }).waitFor();
    await page.getByText('Ring ring0: may start').waitFor();
    await page.getByLabel('Ring', { exact: true }).selectOption('ring1');
    await page.getByText('Ring ring1: may not start').waitFor();
    await expectAccessible(page, 'gate');
    await screenshot(page, 'gate');

    // Sign out; the submitter signs in and tries to approve their own request.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'cabinet — sign in' }).waitFor();
    await page.goto(`${base}/requests/${ownId}`);
    await signIn(page, submitter.token);
    await page.getByRole('heading', { name: '7-Zip' }).waitFor();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expectServerRefusal(
      page.locator('.refusal'),
      failed,
      `${base}/api/v1/cab/${ownId}/approve`,
      'separation_of_duties',
    );
    await expectAccessible(page, 'refused approval');
    // Still pending: the refusal changed nothing.
    await expect.poll(() => status.textContent()).toBe('Pending');

    // Nothing failed but the refusal the flow expected (and the browser's note about it).
    expect(failed.filter((f) => f.status !== 403)).toEqual([]);
    expect(
      consoleErrors.filter(
        (e) => !(e.url.endsWith(`/api/v1/cab/${ownId}/approve`) && /403/.test(e.text)),
      ),
    ).toEqual([]);
    await page.close();
  }, 120_000);

  it('an expired session returns to the sign-in screen with the reason', async () => {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await fresh.newPage();
    const failures: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) {
        failures.push(`${response.status()} ${new URL(response.url()).pathname}`);
      }
    });
    await page.goto(`${base}/`);
    await signIn(page, member.token);
    await page.getByRole('heading', { name: 'CAB queue' }).waitFor();
    // Sessions last 8 hours on the server's clock; the browser still holds the cookie.
    t.clock.advance(9 * 3_600_000);
    await page.getByRole('link', { name: 'All requests' }).click();
    await page.getByRole('heading', { name: 'cabinet — sign in' }).waitFor();
    await expect.poll(() => page.locator('.notice').textContent()).toContain('session_expired');
    expect(failures).toEqual(['401 /api/v1/cab/requests']);
    await fresh.close();
  }, 60_000);
});
