import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp } from './test-app.js';

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
const INDEX = '<!doctype html><html><body><div id="root">fake dashboard</div></body></html>';
const ASSET = 'console.log("fake asset");';
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

function fakeWebRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'cabinet-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'assets', 'index-3f2a1b.js'), ASSET);
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return root;
}

describe.each(dbKinds)('the dashboard served on %s', (kind) => {
  let t: TestApp;
  let root: string;
  beforeAll(async () => {
    root = fakeWebRoot();
    t = await startTestApp(kind, { env: { CABINET_WEB_DIR: root } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html at / with the CSP, nosniff and no-cache', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toBe(INDEX);
    expect(response.headers['content-security-policy']).toBe(CSP);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-cache');
    const direct = await t.app.inject({ method: 'GET', url: '/index.html' });
    expect(direct.statusCode).toBe(200);
    expect(direct.headers['content-security-policy']).toBe(CSP);
  });

  it('falls back to index.html for page requests that match no file', async () => {
    for (const url of ['/intents', '/cab/requests/0193-abc', '/exceptions?status=open']) {
      const response = await t.app.inject({ method: 'GET', url, headers: HTML });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toContain('text/html');
      expect(response.body).toBe(INDEX);
      expect(response.headers['content-security-policy']).toBe(CSP);
      expect(response.headers['cache-control']).toBe('no-cache');
    }
  });

  it('gives hashed assets a year of immutable caching', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/assets/index-3f2a1b.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(ASSET);
    expect(response.headers['content-type']).toContain('javascript');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const other = await t.app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(other.statusCode).toBe(200);
    expect(other.headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing asset (not a page request) with a problem 404', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/assets/gone-000000.js',
      headers: { accept: '*/*' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('keeps unknown /api routes a problem+json 404, even for a browser', async () => {
    for (const headers of [{}, HTML]) {
      const response = await t.call({ method: 'GET', url: '/api/v1/no-such-thing', headers });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 404 });
    }
    const post = await t.call({ method: 'POST', url: '/somewhere', payload: {}, headers: HTML });
    expect(post.statusCode).toBe(404);
    expect(post.headers['content-type']).toContain('application/problem+json');
  });

  it('does not serve files outside the web root', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/../package.json',
      headers: { accept: '*/*' },
    });
    expect(response.statusCode).not.toBe(200);
    const encoded = await t.app.inject({
      method: 'GET',
      url: '/%2e%2e/package.json',
      headers: { accept: '*/*' },
    });
    expect(encoded.body).not.toContain('"name": "cabinet"');
  });

  it('leaves the API working beside it', async () => {
    const me = await t.call({ method: 'GET', url: '/api/v1/me' });
    expect(me.statusCode).toBe(200);
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
  });
});

describe('the dashboard removed while the server runs', () => {
  let t: TestApp;
  let root: string;
  beforeAll(async () => {
    root = fakeWebRoot();
    t = await startTestApp('sqlite', { env: { CABINET_WEB_DIR: root } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers a page request 404 instead of looping through the fallback', async () => {
    rmSync(join(root, 'index.html'));
    const response = await t.app.inject({ method: 'GET', url: '/intents', headers: HTML });
    expect(response.statusCode).toBe(404);
  });
});

describe('the dashboard when it is not built', () => {
  let t: TestApp;
  let root: string;
  beforeAll(async () => {
    root = join(mkdtempSync(join(tmpdir(), 'cabinet-web-')), 'missing');
    t = await startTestApp('sqlite', { env: { CABINET_WEB_DIR: root } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(join(root, '..'), { recursive: true, force: true });
  });

  it('says so at / and tells how to build it', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('not built');
    expect(response.body).toContain('npm run build');
    expect(response.headers['content-security-policy']).toBe(CSP);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const plain = await t.app.inject({ method: 'GET', url: '/' });
    expect(plain.statusCode).toBe(200);
  });

  it('keeps the API working', async () => {
    const me = await t.call({ method: 'GET', url: '/api/v1/me' });
    expect(me.statusCode).toBe(200);
    const unknown = await t.call({ method: 'GET', url: '/api/v1/no-such-thing', headers: HTML });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
  });
});
