/**
 * The exceptions screen in a real browser against the real server (see dashboard.test.ts for
 * the set-up): a submitter requests an exception through the form, a security reviewer
 * approves it, and a requester who is also a security reviewer is refused approving their own.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CabWorld, cabWorld, FLUENTD_CRITICAL } from '../cab-fixtures.js';
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

/** `YYYY-MM-DDTHH:mm` in the browser's (and this process's) local time, for datetime-local. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

describe('the exceptions screen in a browser', () => {
  let t: TestApp;
  let world: CabWorld;
  let browser: Browser;
  let context: BrowserContext;
  let served: Served;
  let base: string;
  let submitter: TestUser;
  let reviewer: TestUser;
  let dual: TestUser;
  let sha: string;
  let dualSha: string;
  let dualId: string;
  let writer: TestUser;
  let writerIntent: string;

  beforeAll(async () => {
    await ensureBuilt();
    t = await startTestApp('sqlite');
    submitter = await t.user(['submitter'], 'sam.submitter@example.org');
    reviewer = await t.user(['security_reviewer'], 'rita.reviewer@example.org');
    // Submitter and security reviewer at once: the server must refuse deciding their own.
    dual = await t.user(['submitter', 'security_reviewer'], 'dana.dual@example.org');
    world = await cabWorld(t, reviewer);
    sha = (await world.pack(submitter, 'critical')).artifactSha256;
    dualSha = (await world.pack(dual, 'critical')).artifactSha256;
    const made = await t.call({
      method: 'POST',
      url: '/api/v1/exceptions',
      as: dual,
      payload: {
        exception_type: 'vuln_critical',
        scope: { artifact_sha256: dualSha, finding_ids: [FLUENTD_CRITICAL] },
        description: 'the affected library is not loaded by the installer',
        compensating_controls: 'EDR rule 4711 alerts on the library load',
        expires_at: new Date(t.clock.now().getTime() + 5 * 86_400_000).toISOString(),
      },
    });
    if (made.statusCode !== 201) throw new Error(`exception: ${made.body}`);
    dualId = made.json<{ id: string }>().id;
    // A submitter with one intent and its first pack; new evidence makes a second pack due.
    writer = await t.user(['submitter'], 'wes.writer@example.org');
    writerIntent = (await world.pack(writer, 'low_violation')).intentId;
    const lab = JSON.stringify({ stage: 'lab', total: 6, passed: 6, failed: 0, skipped: 0 });
    const added = await addEvidence(t, writer, writerIntent, 'kind=test_results', lab);
    if (added.statusCode >= 300) throw new Error(`evidence: ${added.body}`);

    served = await listen(t);
    base = served.base;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    world?.dispose();
    await served?.close();
  });

  async function signInTo(page: Page, as: TestUser, path = '/exceptions'): Promise<void> {
    await page.goto(`${base}${path}`);
    await signIn(page, as.token);
    await page.getByRole('heading', { name: 'Exceptions', level: 1 }).waitFor();
  }

  async function signOut(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'cabinet — sign in' }).waitFor();
  }

  const item = (page: Page, artifact: string) =>
    page.locator('ul.exceptions > li').filter({ hasText: artifact.slice(0, 12) });

  it('a submitter requests, a reviewer approves, the requester is refused their own', async () => {
    const page = await context.newPage();
    const { consoleErrors, failed, apiCalls } = watchPage(page);

    // The submitter requests an exception through the form.
    await signInTo(page, submitter);
    await expectAccessible(page, 'exceptions (submitter)');
    await page.getByLabel('Exception type').selectOption('vuln_critical');
    await page.getByLabel('Artifact SHA-256').fill(sha);
    await page.getByLabel('Finding ids (one a line)').fill(FLUENTD_CRITICAL);
    await page.getByLabel('Description').fill('the vulnerable path is not shipped in this package');
    await page.getByLabel('Compensating controls').fill('baseline GPO disables the service');
    await page
      .getByLabel('Expires at')
      .fill(localInput(new Date(t.clock.now().getTime() + 20 * 86_400_000)));
    await page.getByRole('button', { name: 'Request exception' }).click();
    await page.getByText('Requested exception').waitFor();
    const mine = item(page, sha);
    await expect.poll(() => mine.locator('.badge').textContent()).toBe('Pending');
    await expect.poll(() => mine.textContent()).toContain(FLUENTD_CRITICAL);
    // A submitter only: no decision forms.
    await expect(page.getByRole('button', { name: 'Approve', exact: true }).count()).resolves.toBe(
      0,
    );
    await signOut(page);

    // The security reviewer approves it: the status changes on the screen.
    await signInTo(page, reviewer);
    await expect(page.getByRole('heading', { name: 'Request an exception' }).count()).resolves.toBe(
      0,
    );
    const pending = item(page, sha);
    await expect.poll(() => pending.locator('.badge').textContent()).toBe('Pending');
    // The other one expires in 5 days: said in words, not colour alone.
    await expect.poll(() => item(page, dualSha).textContent()).toContain('Expires soon');
    await expectAccessible(page, 'exceptions (reviewer)');
    await screenshot(page, 'exceptions');

    // Filters live in the URL and each is one list call: expiring within 7 days leaves the
    // 5-day one; the artifact digest leaves the submitter's; clearing both shows the two.
    const list = page.locator('ul.exceptions > li');
    const beforeFilter = apiCalls.length;
    await page.getByLabel('Expiring').selectOption('7');
    await expect.poll(() => list.count()).toBe(1);
    await expect.poll(() => list.first().textContent()).toContain(dualSha.slice(0, 12));
    await page.waitForLoadState('networkidle');
    expect(apiCalls.slice(beforeFilter)).toEqual(['GET /api/v1/exceptions']);
    expect(new URL(page.url()).searchParams.get('expiring')).toBe('7');
    await page.getByLabel('Expiring').selectOption('0');
    await page.getByLabel('Artifact digest (SHA-256)').fill(sha);
    await page.getByRole('button', { name: 'Show artifact' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('artifact')).toBe(sha);
    await expect.poll(() => list.count()).toBe(1);
    await expect.poll(() => list.first().textContent()).toContain(sha.slice(0, 12));
    // Reloaded, the screen reads its filters back from the URL.
    await page.reload();
    await expect.poll(() => list.count()).toBe(1);
    await expect(page.getByLabel('Artifact digest (SHA-256)').inputValue()).resolves.toBe(sha);
    await page.getByRole('button', { name: 'Any artifact' }).click();
    await expect.poll(() => list.count()).toBe(2);
    await expectAccessible(page, 'exceptions (filtered)');
    await pending.getByLabel(/Verification steps/).fill('GPO applied on all ring0 devices');
    await pending.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect.poll(() => pending.locator('.badge').textContent()).toBe('Approved');
    await expect.poll(() => pending.textContent()).toContain('GPO applied on all ring0 devices');
    await expect(pending.getByRole('button', { name: 'Revoke' }).isVisible()).resolves.toBe(true);
    await signOut(page);

    // The requester, also a security reviewer, is refused approving their own, in the server's words.
    await signInTo(page, dual, '/exceptions?requester=mine');
    await expect.poll(() => page.locator('ul.exceptions > li').count()).toBe(1);
    await expect(page.getByLabel('Requested by').inputValue()).resolves.toBe('mine');
    const own = item(page, dualSha);
    await own.getByLabel(/Verification steps/).fill('I checked it myself');
    await own.getByRole('button', { name: 'Approve', exact: true }).click();
    await expectServerRefusal(
      own.locator('.refusal'),
      failed,
      `${base}/api/v1/exceptions/${dualId}/approve`,
      'separation_of_duties',
    );
    await expectAccessible(page, 'refused exception approval');
    await expect.poll(() => own.locator('.badge').textContent()).toBe('Pending');

    expect(failed.filter((f) => f.status !== 403)).toEqual([]);
    expect(
      consoleErrors.filter(
        (e) => !(e.url.endsWith(`/api/v1/exceptions/${dualId}/approve`) && /403/.test(e.text)),
      ),
    ).toEqual([]);
    await page.close();
  }, 120_000);

  it('a submitter lists their intent, generates a pack and submits it to the CAB', async () => {
    // A context of its own: the first test left its browser signed in.
    const fresh = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      bypassCSP: true,
    });
    const page = await fresh.newPage();
    const { consoleErrors, failed } = watchPage(page);
    await page.goto(`${base}/`);
    await signIn(page, writer.token);
    await page.getByRole('link', { name: 'My intents' }).click();
    await page.getByRole('heading', { name: 'My intents', level: 1 }).waitFor();
    const intents = page.locator('ul.intents > li');
    await expect.poll(() => intents.count()).toBe(1);
    await expect.poll(() => intents.first().textContent()).toContain(writerIntent.slice(0, 12));
    const packs = page.locator('ul.packs > li');
    await expect.poll(() => packs.count()).toBe(1);
    await expectAccessible(page, 'my intents');
    await screenshot(page, 'my-intents');

    await page.getByRole('button', { name: 'Generate pack' }).click();
    await expect.poll(() => packs.count()).toBe(2);
    await page.getByLabel('Justification (required)').fill('Quarterly 7-Zip update for all desks');
    await page.getByRole('button', { name: 'Submit pack 1.1 to CAB' }).click();
    const link = page.getByRole('link', { name: 'Open the CAB request' });
    await link.waitFor();
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^\/requests\/[^/]+$/);
    await expectAccessible(page, 'my intents (submitted)');
    await link.click();
    await page.getByRole('heading', { name: '7-Zip' }).waitFor();
    expect(page.url()).toBe(`${base}${href}`);

    // From the intent to its CAB requests: the queue filtered by the intent, in the URL.
    await page.goBack();
    await page.getByRole('link', { name: 'Requests of 7-Zip 24.08' }).click();
    await page.getByRole('heading', { name: 'All CAB requests' }).waitFor();
    expect(new URL(page.url()).searchParams.get('intent')).toBe(writerIntent);
    const rows = page.locator('table.queue tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    await expect(rows.first().locator('a').getAttribute('href')).resolves.toBe(href);
    await expect(rows.first().locator('td:nth-child(6)').textContent()).resolves.toBe(writer.email);
    await expectAccessible(page, 'requests of one intent');

    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await fresh.close();
  }, 120_000);
});
