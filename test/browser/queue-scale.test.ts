/**
 * The CAB queue with 1,000 pending requests in a real browser (see dashboard.test.ts for the
 * set-up): every page is one list call, whatever its rows need (submitter emails included),
 * counted with playwright's request events. The requests are real: 1,000 intents for one
 * uploaded artifact, each with a corpus SBOM and scan, a generated pack and a submission,
 * through the API in process (the cheapest path the app itself offers; the time it takes is
 * printed, not asserted).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEvidence, corpusDocument, createIntent, exampleIntent } from '../intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from '../test-app.js';
import {
  ensureBuilt,
  expectAccessible,
  launchChromium,
  listen,
  type Served,
  signIn,
  watchPage,
} from './browser-harness.js';

const REQUESTS = 1_000;
/** Of which this many are the second submitter's (the "submitted by me" filter). */
const THEIRS = 7;
const PAGE_SIZE = 100;
const PAGES_VISITED = 4;

/** One pending CAB request for `artifactSha256`: intent, SBOM, scan, pack, submission. */
async function pendingRequest(
  t: TestApp,
  as: TestUser,
  artifactSha256: string,
  n: number,
  evidence: { sbom: Buffer; scan: Buffer },
): Promise<string> {
  const ok = <T>(res: { statusCode: number; body: string; json: <U>() => U }, what: string) => {
    if (res.statusCode >= 300) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  const intent = ok<{ id: string }>(
    await t.call({
      method: 'POST',
      url: '/api/v1/intents',
      as,
      payload: { ...exampleIntent(artifactSha256), app_version: `24.${n}` },
    }),
    'intent',
  );
  ok(await addEvidence(t, as, intent.id, 'kind=sbom', evidence.sbom), 'sbom');
  ok(await addEvidence(t, as, intent.id, 'kind=vuln_scan', evidence.scan), 'scan');
  const pack = ok<{ id: string }>(
    await t.call({ method: 'POST', url: `/api/v1/intents/${intent.id}/evidence-packs`, as }),
    'pack',
  );
  const request = ok<{ id: string; status: string }>(
    await t.call({
      method: 'POST',
      url: '/api/v1/cab/submit',
      as,
      payload: { evidence_pack_id: pack.id, justification: `Fleet update ${n}` },
    }),
    'submit',
  );
  if (request.status !== 'pending') throw new Error(`request ${n} is ${request.status}`);
  return intent.id;
}

describe('the CAB queue with 1,000 pending requests in a browser', () => {
  let t: TestApp;
  let served: Served;
  let browser: Browser;
  let context: BrowserContext;
  let member: TestUser;
  let submitter: TestUser;
  let other: TestUser;
  let anIntent: string;

  beforeAll(async () => {
    await ensureBuilt();
    t = await startTestApp('sqlite');
    member = await t.user(['cab_member'], 'alice.cab@example.org');
    submitter = await t.user(['submitter'], 'sam.submitter@example.org');
    // Also a CAB member, so the queue is theirs to read.
    other = await t.user(['submitter', 'cab_member'], 'olga.other@example.org');
    const evidence = {
      sbom: corpusDocument('sbom/cyclonedx', 'cern-lhc-vdm-editor.cdx.json'),
      scan: corpusDocument('scans/trivy', 'alpine-310.json'),
    };
    const started = performance.now();
    const { artifactSha256 } = await createIntent(t, submitter);
    for (let n = 0; n < REQUESTS; n++) {
      const as = n < THEIRS ? other : submitter;
      const intentId = await pendingRequest(t, as, artifactSha256, n, evidence);
      if (n === THEIRS) anIntent = intentId;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `seeded ${REQUESTS} pending requests in ${seconds.toFixed(1)} s (${((seconds * 1000) / REQUESTS).toFixed(1)} ms each)`,
    );
    served = await listen(t);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  }, 900_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await served?.close();
  });

  it('renders each page from one list call, rows equal to the page size', async () => {
    const page = await context.newPage();
    const { consoleErrors, failed, apiCalls } = watchPage(page);
    const rows = page.locator('table.queue tbody tr');
    const ids = () =>
      page
        .locator('table.queue tbody tr td:nth-child(2) a')
        .evaluateAll((links) => links.map((a) => a.getAttribute('href')));

    await page.goto(`${served.base}/?limit=${PAGE_SIZE}`);
    const before = apiCalls.length;
    let started = performance.now();
    await signIn(page, member.token);
    await page.getByRole('heading', { name: 'CAB queue' }).waitFor();
    await expect.poll(() => rows.count()).toBe(PAGE_SIZE);
    const timings = [performance.now() - started];
    await page.waitForLoadState('networkidle');
    // The fixed calls (the sign-in), then one list call for the page.
    expect(apiCalls.slice(before)).toEqual(['POST /api/v1/session', 'GET /api/v1/cab/pending']);
    await expect.poll(() => page.locator('.counts').textContent()).toContain(`CAUTION ${REQUESTS}`);
    // The submitter by email (from the same list call), the id on hover.
    const submitterCell = rows.first().locator('td:nth-child(6) span.person');
    await expect(submitterCell.textContent()).resolves.toBe(submitter.email);
    await expect(submitterCell.getAttribute('title')).resolves.toBe(submitter.id);
    await expectAccessible(page, 'queue of 1,000');

    const seen = new Set(await ids());
    for (let n = 2; n <= PAGES_VISITED; n++) {
      const beforeNext = apiCalls.length;
      started = performance.now();
      await page.getByRole('button', { name: 'Next page' }).click();
      await page.getByText(`Page ${n}`, { exact: true }).waitFor();
      await expect.poll(async () => (await ids()).some((id) => seen.has(id))).toBe(false);
      timings.push(performance.now() - started);
      await expect(rows.count()).resolves.toBe(PAGE_SIZE);
      await page.waitForLoadState('networkidle');
      expect(apiCalls.slice(beforeNext), `page ${n}`).toEqual(['GET /api/v1/cab/pending']);
      for (const id of await ids()) seen.add(id);
    }
    expect(seen.size).toBe(PAGE_SIZE * PAGES_VISITED);
    // Nothing else was asked for along the way: no call per row.
    expect(apiCalls.slice(before)).toHaveLength(1 + PAGES_VISITED);
    console.log(
      `queue pages of ${PAGE_SIZE}: ${apiCalls.slice(before).length} API calls for ${PAGES_VISITED} pages; rendered in ${timings.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`,
    );
    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 300_000);

  it('filters the queue by submitter and by intent, kept in the URL', async () => {
    const fresh = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      bypassCSP: true,
    });
    const page = await fresh.newPage();
    const { consoleErrors, failed, apiCalls } = watchPage(page);
    const rows = page.locator('table.queue tbody tr');
    await page.goto(`${served.base}/`);
    await signIn(page, other.token);
    await page.getByRole('heading', { name: 'CAB queue' }).waitFor();
    await expect.poll(() => rows.count()).toBe(25);

    const beforeMine = apiCalls.length;
    await page.getByLabel('Submitted by').selectOption('mine');
    await expect.poll(() => rows.count()).toBe(THEIRS);
    await expect
      .poll(() => rows.locator('td:nth-child(6)').allTextContents())
      .toEqual(Array(THEIRS).fill(other.email));
    await page.waitForLoadState('networkidle');
    expect(apiCalls.slice(beforeMine)).toEqual(['GET /api/v1/cab/pending']);
    expect(new URL(page.url()).searchParams.get('submitter')).toBe('mine');
    await expectAccessible(page, 'queue, mine');

    await page.getByLabel('Submitted by').selectOption('');
    await page.getByLabel('Intent id').fill(anIntent);
    await page.getByRole('button', { name: 'Show intent' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('intent')).toBe(anIntent);
    await expect.poll(() => rows.count()).toBe(1);
    await expect(rows.first().locator('td:nth-child(3)').textContent()).resolves.toBe(
      `24.${THEIRS}`,
    );
    // Reloaded, the filter comes back from the URL.
    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    await expect(page.getByLabel('Intent id').inputValue()).resolves.toBe(anIntent);
    await page.getByRole('button', { name: 'All intents' }).click();
    await expect.poll(() => rows.count()).toBe(25);

    expect(failed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await fresh.close();
  }, 120_000);
});
