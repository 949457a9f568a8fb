/**
 * What every browser test shares: the freshly built dashboard, Debian chromium through
 * playwright-core, axe-core, and a watch on a page's console errors, failed requests and API
 * calls. Each test file builds its own server and data (see dashboard.test.ts).
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestApp } from '../test-app.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const WEB = join(ROOT, 'web');
const DIST_INDEX = join(WEB, 'dist', 'index.html');
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
export const SCREENSHOTS = process.env.CABINET_SCREENSHOTS === '1';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds web/dist with Vite's JS API when it is missing or older than the sources. */
export async function ensureBuilt(): Promise<void> {
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
export async function expectAccessible(page: Page, screen: string): Promise<void> {
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

/** Debian's chromium, headless, with the flags this machine's closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

export interface PageWatch {
  consoleErrors: { text: string; url: string }[];
  failed: { method: string; url: string; status: number; body: string }[];
  /** `METHOD /api/path` of every API request, in order. */
  apiCalls: string[];
}

/** Records what a page logs as an error, every request that failed or answered ≥ 400, and its API calls. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { consoleErrors: [], failed: [], apiCalls: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') {
      watch.consoleErrors.push({ text: message.text(), url: message.location().url });
    }
  });
  page.on('pageerror', (error) => watch.consoleErrors.push({ text: error.message, url: '' }));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/'))
      watch.apiCalls.push(`${request.method()} ${url.pathname}`);
  });
  page.on('requestfailed', (request) => {
    // The browser's own favicon fetch, cancelled when the test navigates away before it ends,
    // is not a request the app made (seen once in CI on the queue-scale filters test).
    if (
      new URL(request.url()).pathname.startsWith('/favicon') &&
      request.failure()?.errorText === 'net::ERR_ABORTED'
    ) {
      return;
    }
    watch.failed.push({ method: request.method(), url: request.url(), status: 0, body: '' });
  });
  page.on('response', async (response) => {
    if (response.status() >= 400) {
      watch.failed.push({
        method: response.request().method(),
        url: response.url(),
        status: response.status(),
        body: await response.text().catch(() => ''),
      });
    }
  });
  return watch;
}

export interface Served {
  /** `http://127.0.0.1:<port>`: the dashboard and the API of this test's app. */
  base: string;
  /** Stops listening and closes the app (its database included). */
  close(): Promise<void>;
}

/** Starts the test's app on an ephemeral loopback port, for the browser to reach it. */
export async function listen(t: TestApp): Promise<Served> {
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  // Fastify may name the address localhost; the cookie and CSP are for the literal address.
  return { base: address.replace('localhost', '127.0.0.1'), close: () => t.close() };
}

/**
 * Signs in on the sign-in screen the page shows (the app shows it for any screen without a
 * session) and waits until the screen asked for replaces it.
 */
export async function signIn(page: Page, token: string): Promise<void> {
  const heading = page.getByRole('heading', { name: 'cabinet — sign in' });
  await heading.waitFor();
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading.waitFor({ state: 'hidden' });
}

/** Writes docs/screenshots/<name>.png when CABINET_SCREENSHOTS=1; nothing otherwise. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', `${name}.png`) });
}

/**
 * The server refused exactly one call, `url`, with 403 and `reason`, and the screen shows its
 * words plainly in `refusal` (the detail and the reason code), not a generic error.
 */
export async function expectServerRefusal(
  refusal: Locator,
  failed: PageWatch['failed'],
  url: string,
  reason: string,
): Promise<void> {
  await refusal.waitFor();
  const refused = failed.filter((f) => f.status === 403);
  expect(refused.map((f) => f.url)).toEqual([url]);
  const problem = JSON.parse(refused[0]!.body) as { detail: string; reason: string };
  expect(problem.reason).toBe(reason);
  await expect.poll(() => refusal.textContent()).toContain(problem.detail);
  await expect.poll(() => refusal.textContent()).toContain(reason);
}
