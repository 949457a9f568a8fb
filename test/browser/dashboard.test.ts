/**
 * The dashboard in a real browser against the real server: headless Debian chromium through
 * playwright-core, the app listening on 127.0.0.1 (ephemeral port) on a SQLite database,
 * serving the freshly built web/dist. Data is made through the API (test/cab-fixtures.ts).
 * CABINET_SCREENSHOTS=1 also writes docs/screenshots/{queue,request-detail,gate}.png.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CabWorld, cabWorld } from '../cab-fixtures.js';
import { addEvidence } from '../intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from '../test-app.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WEB = join(ROOT, 'web');
const DIST_INDEX = join(WEB, 'dist', 'index.html');
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const SCREENSHOTS = process.env.CABINET_SCREENSHOTS === '1';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds web/dist with Vite's JS API when it is missing or older than the sources. */
async function ensureBuilt(): Promise<void> {
  const sources = Math.max(
    newestMtime(join(WEB, 'src')),
    newestMtime(join(WEB, 'index.html')),
    newestMtime(join(WEB, 'public')),
    newestMtime(join(WEB, 'vite.config.ts')),
  );
  let built = 0;
  try {
    built = statSync(DIST_INDEX).mtimeMs;
  } catch {
    built = 0;
  }
  if (built > sources) return;
  const { build } = await import('vite');
  // Vitest runs with NODE_ENV=test, which would make Vite bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(WEB, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core on the page as it is: no serious or critical violation. */
async function expectAccessible(page: Page, screen: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: () => Promise<{ violations: unknown[] }> } }
    ).axe;
    return (await axe.run()).violations;
  });
  const bad = (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.impact} ${v.id}: ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`,
    );
  expect(bad, `axe on the ${screen} screen`).toEqual([]);
}

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

    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = address.replace('localhost', '127.0.0.1');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    // The server's CSP allows only its own scripts; axe-core is injected by the test.
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    world?.dispose();
    await t?.close();
  });

  it('a CAB member approves with a condition; the submitter is refused their own', async () => {
    const page = await context.newPage();
    const consoleErrors: { text: string; url: string }[] = [];
    const failed: { method: string; url: string; status: number; body: string }[] = [];
    const apiCalls: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') {
        consoleErrors.push({ text: message.text(), url: message.location().url });
      }
    });
    page.on('pageerror', (error) => consoleErrors.push({ text: error.message, url: '' }));
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/')) apiCalls.push(`${request.method()} ${url.pathname}`);
    });
    page.on('requestfailed', (request) =>
      failed.push({ method: request.method(), url: request.url(), status: 0, body: '' }),
    );
    page.on('response', async (response) => {
      if (response.status() >= 400) {
        failed.push({
          method: response.request().method(),
          url: response.url(),
          status: response.status(),
          body: await response.text().catch(() => ''),
        });
      }
    });

    // Sign in as the CAB member, on the queue with pages of two.
    await page.goto(`${base}/?limit=2`);
    await page.getByRole('heading', { name: 'cabinet — sign in' }).waitFor();
    await expectAccessible(page, 'sign-in');
    await page.getByLabel('API token').fill(member.token);
    const before = apiCalls.length;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'CAB queue' }).waitFor();
    const rows = page.locator('table.queue tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await page.waitForLoadState('networkidle');
    expect(apiCalls.slice(before)).toEqual(['POST /api/v1/session', 'GET /api/v1/cab/pending']);
    await expect.poll(() => page.locator('table.queue').textContent()).toContain('0 / 1');
    await expectAccessible(page, 'queue');
    if (SCREENSHOTS) {
      mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'queue.png') });
    }

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
    if (SCREENSHOTS) {
      await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'request-detail.png') });
    }

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
    if (SCREENSHOTS) {
      await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'gate.png') });
    }

    // Sign out; the submitter signs in and tries to approve their own request.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'cabinet — sign in' }).waitFor();
    await page.goto(`${base}/requests/${ownId}`);
    await page.getByRole('heading', { name: 'cabinet — sign in' }).waitFor();
    await page.getByLabel('API token').fill(submitter.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: '7-Zip' }).waitFor();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    const refusal = page.locator('.refusal');
    await refusal.waitFor();
    const refused = failed.filter((f) => f.status === 403);
    expect(refused.map((f) => f.url)).toEqual([`${base}/api/v1/cab/${ownId}/approve`]);
    const problem = JSON.parse(refused[0]!.body) as { detail: string; reason: string };
    expect(problem.reason).toBe('separation_of_duties');
    await expect.poll(() => refusal.textContent()).toContain(problem.detail);
    await expect.poll(() => refusal.textContent()).toContain('separation_of_duties');
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
    await page.getByLabel('API token').fill(member.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
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
