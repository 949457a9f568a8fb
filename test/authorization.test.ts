import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../src/identity/roles.js';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

type Who = Role | 'none';
const EVERYONE: Who[] = [...ROLES, 'none'];

interface Row {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  url: (t: TestApp) => string;
  body?: (t: TestApp, as: TestUser) => object;
  allowed: Who[];
}

/** Written out by hand from DESIGN.md's role table, not derived from the code under test. */
const MATRIX: Row[] = [
  {
    method: 'POST',
    path: '/api/v1/users',
    url: () => '/api/v1/users',
    body: () => ({ email: `m${Math.random()}@example.org`, display_name: 'M', roles: [] }),
    allowed: ['admin'],
  },
  {
    method: 'GET',
    path: '/api/v1/users',
    url: () => '/api/v1/users',
    allowed: ['admin', 'auditor'],
  },
  {
    method: 'GET',
    path: '/api/v1/users/{id}',
    url: (t) => `/api/v1/users/${t.admin.id}`,
    allowed: ['admin', 'auditor'],
  },
  {
    method: 'PATCH',
    path: '/api/v1/users/{id}',
    url: () => '/api/v1/users/does-not-exist',
    body: () => ({ display_name: 'Renamed' }),
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/tokens',
    url: () => '/api/v1/tokens',
    body: () => ({ name: 'own' }),
    allowed: EVERYONE,
  },
  { method: 'GET', path: '/api/v1/tokens', url: () => '/api/v1/tokens', allowed: EVERYONE },
  {
    method: 'DELETE',
    path: '/api/v1/tokens/{id}',
    url: () => '/api/v1/tokens/does-not-exist',
    allowed: EVERYONE,
  },
  { method: 'GET', path: '/api/v1/me', url: () => '/api/v1/me', allowed: EVERYONE },
  {
    method: 'GET',
    path: '/api/v1/audit/events',
    url: () => '/api/v1/audit/events',
    allowed: ['admin', 'auditor'],
  },
  {
    method: 'GET',
    path: '/api/v1/audit/verify',
    url: () => '/api/v1/audit/verify',
    allowed: ['admin', 'auditor'],
  },
  {
    method: 'GET',
    path: '/api/v1/audit/checkpoints',
    url: () => '/api/v1/audit/checkpoints',
    allowed: ['admin', 'auditor'],
  },
];

/** Reachable without any token. */
const PUBLIC = ['/healthz', '/readyz', '/api/v1/keys'];

describe.each(dbKinds)('role × action on %s', (kind) => {
  let t: TestApp;
  const users = new Map<Who, TestUser>();
  beforeAll(async () => {
    t = await startTestApp(kind);
    for (const who of EVERYONE) {
      users.set(who, await t.user(who === 'none' ? [] : [who]));
    }
  });
  afterAll(async () => t.close());

  it('covers every documented endpoint', async () => {
    const doc = (await t.call({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const covered = [
      ...MATRIX.map((r) => `${r.method} ${r.path}`),
      ...PUBLIC.map((p) => `GET ${p}`),
    ];
    expect(documented.filter((d) => !covered.includes(d))).toEqual([]);
  });

  for (const row of MATRIX) {
    for (const who of EVERYONE) {
      const expected = row.allowed.includes(who) ? 'allowed' : 'forbidden';
      it(`${row.method} ${row.path} as ${who}: ${expected}`, async () => {
        const as = users.get(who)!;
        const res = await t.call({
          method: row.method,
          url: row.url(t),
          as,
          ...(row.body ? { payload: row.body(t, as) } : {}),
        });
        if (expected === 'allowed') {
          expect([401, 403]).not.toContain(res.statusCode);
        } else {
          expect(res.statusCode).toBe(403);
          expect(res.json().reason).toBe('missing_role');
        }
      });
    }
    it(`${row.method} ${row.path} without a token: 401`, async () => {
      const res = await t.call({ method: row.method, url: row.url(t), as: null });
      expect(res.statusCode).toBe(401);
    });
  }

  it.each(PUBLIC)('GET %s needs no token', async (url) => {
    const res = await t.call({ method: 'GET', url, as: null });
    expect(res.statusCode).toBe(200);
  });
});
