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
  {
    method: 'POST',
    path: '/api/v1/intents',
    url: () => '/api/v1/intents',
    // Well-formed; its artifact is unknown, so the submitter gets a 422, not a 403.
    body: () => ({
      app_name: 'App',
      app_version: '1',
      plane: 'custom',
      artifact_sha256: '0'.repeat(64),
      install_command: 'install',
      uninstall_command: 'uninstall',
      detection_method: 'custom',
      detection_query: 'check',
      rollout_plan: {
        rings: [
          {
            name: 'r0',
            target_group: 'G',
            size: 1,
            start_offset_hours: 0,
            duration_hours: 1,
            exclusions: [],
          },
        ],
      },
      rollback_plan: { strategy: 'uninstall' },
      justification: 'matrix',
    }),
    allowed: ['submitter'],
  },
  {
    method: 'GET',
    path: '/api/v1/intents',
    url: () => '/api/v1/intents',
    allowed: ['submitter', 'cab_member', 'security_reviewer', 'auditor', 'admin'],
  },
  {
    method: 'GET',
    path: '/api/v1/intents/{id}',
    url: () => '/api/v1/intents/does-not-exist',
    allowed: ['submitter', 'cab_member', 'security_reviewer', 'auditor', 'admin'],
  },
  {
    method: 'PATCH',
    path: '/api/v1/intents/{id}',
    url: () => '/api/v1/intents/does-not-exist',
    body: () => ({ app_version: '2' }),
    allowed: ['submitter'],
  },
  {
    method: 'POST',
    path: '/api/v1/intents/{id}/owner',
    url: () => '/api/v1/intents/does-not-exist/owner',
    body: () => ({ user_id: 'nobody' }),
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/artifacts',
    url: () => '/api/v1/artifacts?filename=a.bin&publisher=Acme',
    body: () => ({}),
    allowed: ['submitter'],
  },
  {
    method: 'POST',
    path: '/api/v1/artifacts/register',
    url: () => '/api/v1/artifacts/register',
    body: () => ({ sha256: 'a'.repeat(64), size_bytes: 1, publisher: 'Acme', filename: 'a.bin' }),
    allowed: ['submitter'],
  },
  {
    method: 'GET',
    path: '/api/v1/artifacts/{sha256}',
    url: () => `/api/v1/artifacts/${'a'.repeat(64)}`,
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/artifacts/{sha256}/content',
    url: () => `/api/v1/artifacts/${'a'.repeat(64)}/content`,
    allowed: [...ROLES],
  },
  {
    method: 'POST',
    path: '/api/v1/trust-anchors',
    url: () => '/api/v1/trust-anchors',
    body: () => ({ name: 'x', pem: 'not a certificate' }),
    allowed: ['admin'],
  },
  {
    method: 'GET',
    path: '/api/v1/trust-anchors',
    url: () => '/api/v1/trust-anchors',
    allowed: [...ROLES],
  },
  {
    method: 'DELETE',
    path: '/api/v1/trust-anchors/{id}',
    url: () => '/api/v1/trust-anchors/does-not-exist',
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/trusted-publishers',
    url: () => '/api/v1/trusted-publishers',
    body: () => ({ name: `Matrix ${Math.random()}`, x509_subject: 'O=Matrix' }),
    allowed: ['admin'],
  },
  {
    method: 'GET',
    path: '/api/v1/trusted-publishers',
    url: () => '/api/v1/trusted-publishers',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/trusted-publishers/{id}',
    url: () => '/api/v1/trusted-publishers/does-not-exist',
    allowed: [...ROLES],
  },
  {
    method: 'PATCH',
    path: '/api/v1/trusted-publishers/{id}',
    url: () => '/api/v1/trusted-publishers/does-not-exist',
    body: () => ({ name: 'Renamed' }),
    allowed: ['admin'],
  },
  {
    method: 'DELETE',
    path: '/api/v1/trusted-publishers/{id}',
    url: () => '/api/v1/trusted-publishers/does-not-exist',
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/sigstore-roots',
    url: () => '/api/v1/sigstore-roots',
    body: () => ({ name: 'x', trusted_root: {} }),
    allowed: ['admin'],
  },
  {
    method: 'GET',
    path: '/api/v1/sigstore-roots',
    url: () => '/api/v1/sigstore-roots',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/sigstore-roots/{id}',
    url: () => '/api/v1/sigstore-roots/does-not-exist',
    allowed: [...ROLES],
  },
  {
    method: 'DELETE',
    path: '/api/v1/sigstore-roots/{id}',
    url: () => '/api/v1/sigstore-roots/does-not-exist',
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/intents/{id}/evidence',
    url: () => '/api/v1/intents/does-not-exist/evidence?kind=vex',
    body: () => ({}),
    allowed: ['submitter'],
  },
  {
    method: 'GET',
    path: '/api/v1/intents/{id}/evidence',
    url: () => '/api/v1/intents/does-not-exist/evidence',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/evidence/{id}',
    url: () => '/api/v1/evidence/does-not-exist',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/evidence/{id}/raw',
    url: () => '/api/v1/evidence/does-not-exist/raw',
    allowed: [...ROLES],
  },
  {
    method: 'POST',
    path: '/api/v1/exceptions',
    url: () => '/api/v1/exceptions',
    // Well-formed; its artifact is unknown, so the submitter gets a 422, not a 403.
    body: () => ({
      exception_type: 'policy_violation',
      scope: { artifact_sha256: '0'.repeat(64), rule_ids: ['sbom_present'] },
      description: 'matrix',
      compensating_controls: 'matrix',
      expires_at: '2999-01-01T00:00:00Z',
    }),
    allowed: ['submitter'],
  },
  {
    method: 'GET',
    path: '/api/v1/exceptions',
    url: () => '/api/v1/exceptions',
    allowed: ['submitter', 'cab_member', 'security_reviewer', 'auditor', 'admin'],
  },
  {
    method: 'GET',
    path: '/api/v1/exceptions/{id}',
    url: () => '/api/v1/exceptions/does-not-exist',
    allowed: ['submitter', 'cab_member', 'security_reviewer', 'auditor', 'admin'],
  },
  {
    method: 'GET',
    path: '/api/v1/exceptions/{id}/versions',
    url: () => '/api/v1/exceptions/does-not-exist/versions',
    allowed: ['submitter', 'cab_member', 'security_reviewer', 'auditor', 'admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/exceptions/{id}/approve',
    url: () => '/api/v1/exceptions/does-not-exist/approve',
    body: () => ({ verification_steps: 'checked' }),
    allowed: ['security_reviewer'],
  },
  {
    method: 'POST',
    path: '/api/v1/exceptions/{id}/reject',
    url: () => '/api/v1/exceptions/does-not-exist/reject',
    body: () => ({ reason: 'no' }),
    allowed: ['security_reviewer'],
  },
  {
    method: 'POST',
    path: '/api/v1/exceptions/{id}/revoke',
    url: () => '/api/v1/exceptions/does-not-exist/revoke',
    body: () => ({ reason: 'no' }),
    allowed: ['security_reviewer'],
  },
  {
    method: 'GET',
    path: '/api/v1/risk-models',
    url: () => '/api/v1/risk-models',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/policy-sets',
    url: () => '/api/v1/policy-sets',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/policy-sets/{version}',
    url: () => '/api/v1/policy-sets/1.0',
    allowed: [...ROLES],
  },
  {
    method: 'POST',
    path: '/api/v1/policy-sets',
    url: () => '/api/v1/policy-sets',
    body: () => ({ description: 'x', config: {} }),
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/intents/{id}/policy-preview',
    url: () => '/api/v1/intents/does-not-exist/policy-preview',
    allowed: [...ROLES],
  },
  {
    method: 'POST',
    path: '/api/v1/intents/{id}/risk-preview',
    url: () => '/api/v1/intents/does-not-exist/risk-preview',
    allowed: [...ROLES],
  },
  {
    method: 'POST',
    path: '/api/v1/intents/{id}/evidence-packs',
    url: () => '/api/v1/intents/does-not-exist/evidence-packs',
    allowed: ['submitter'],
  },
  {
    method: 'GET',
    path: '/api/v1/intents/{id}/evidence-packs',
    url: () => '/api/v1/intents/does-not-exist/evidence-packs',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/evidence-packs/{id}',
    url: () => '/api/v1/evidence-packs/does-not-exist',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/evidence-packs/{id}/verify',
    url: () => '/api/v1/evidence-packs/does-not-exist/verify',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/evidence-packs/{id}/diff',
    url: () => '/api/v1/evidence-packs/does-not-exist/diff',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/evidence-packs/{id}/bundle',
    url: () => '/api/v1/evidence-packs/does-not-exist/bundle',
    allowed: [...ROLES],
  },
  {
    method: 'POST',
    path: '/api/v1/cab/submit',
    url: () => '/api/v1/cab/submit',
    body: () => ({ evidence_pack_id: 'does-not-exist', justification: 'x' }),
    allowed: ['submitter'],
  },
  {
    method: 'GET',
    path: '/api/v1/cab/pending',
    url: () => '/api/v1/cab/pending',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/cab/requests',
    url: () => '/api/v1/cab/requests',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/cab/{id}',
    url: () => '/api/v1/cab/does-not-exist',
    allowed: [...ROLES],
  },
  {
    method: 'POST',
    path: '/api/v1/cab/{id}/approve',
    url: () => '/api/v1/cab/does-not-exist/approve',
    body: () => ({}),
    allowed: ['cab_member'],
  },
  {
    method: 'POST',
    path: '/api/v1/cab/{id}/deny',
    url: () => '/api/v1/cab/does-not-exist/deny',
    body: () => ({ reason: 'x' }),
    allowed: ['cab_member'],
  },
  {
    method: 'POST',
    path: '/api/v1/cab/{id}/comments',
    url: () => '/api/v1/cab/does-not-exist/comments',
    body: () => ({ text: 'x' }),
    allowed: ['submitter', 'cab_member', 'security_reviewer', 'admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/cab/{id}/conditions/{condition_id}/verify',
    url: () => '/api/v1/cab/does-not-exist/conditions/c1/verify',
    body: () => ({ notes: 'x' }),
    allowed: ['cab_member'],
  },
  {
    method: 'POST',
    path: '/api/v1/cab/{id}/post-review',
    url: () => '/api/v1/cab/does-not-exist/post-review',
    body: () => ({ notes: 'x', outcome: 'successful' }),
    allowed: ['cab_member'],
  },
  {
    method: 'GET',
    path: '/api/v1/cab/{id}/gate',
    url: () => '/api/v1/cab/does-not-exist/gate?ring=ring0',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/cab/{id}/attestation',
    url: () => '/api/v1/cab/does-not-exist/attestation',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/approval-policies',
    url: () => '/api/v1/approval-policies',
    allowed: [...ROLES],
  },
  {
    method: 'GET',
    path: '/api/v1/approval-policies/{version}',
    url: () => '/api/v1/approval-policies/1.0',
    allowed: [...ROLES],
  },
  {
    method: 'POST',
    path: '/api/v1/approval-policies',
    url: () => '/api/v1/approval-policies',
    body: () => ({
      version: '0.1',
      bands: {
        LOW: { approvals: 1 },
        MODERATE: { approvals: 1 },
        CAUTION: { approvals: 1 },
        HIGH: { approvals: 2 },
        CRITICAL: { approvals: 2 },
      },
      emergency: { approvals: 1 },
    }),
    allowed: ['admin'],
  },
  {
    method: 'GET',
    path: '/api/v1/outbox',
    url: () => '/api/v1/outbox',
    allowed: ['admin', 'auditor'],
  },
  {
    method: 'GET',
    path: '/api/v1/outbox/{id}',
    url: () => '/api/v1/outbox/does-not-exist',
    allowed: ['admin', 'auditor'],
  },
  {
    method: 'POST',
    path: '/api/v1/outbox/{id}/retry',
    url: () => '/api/v1/outbox/does-not-exist/retry',
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/webhooks',
    url: () => '/api/v1/webhooks',
    body: () => ({
      plane: 'intune',
      url: 'http://127.0.0.1:9/matrix',
      events: ['deployment.authorized'],
    }),
    allowed: ['admin'],
  },
  { method: 'GET', path: '/api/v1/webhooks', url: () => '/api/v1/webhooks', allowed: ['admin'] },
  {
    method: 'GET',
    path: '/api/v1/webhooks/{id}',
    url: () => '/api/v1/webhooks/does-not-exist',
    allowed: ['admin'],
  },
  {
    method: 'DELETE',
    path: '/api/v1/webhooks/{id}',
    url: () => '/api/v1/webhooks/does-not-exist',
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/webhooks/{id}/disable',
    url: () => '/api/v1/webhooks/does-not-exist/disable',
    body: () => ({ reason: 'matrix' }),
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/webhooks/{id}/enable',
    url: () => '/api/v1/webhooks/does-not-exist/enable',
    allowed: ['admin'],
  },
  {
    method: 'POST',
    path: '/api/v1/webhooks/{id}/test',
    url: () => '/api/v1/webhooks/does-not-exist/test',
    allowed: ['admin'],
  },
];

/** Reachable without any token. */
const PUBLIC = ['/healthz', '/readyz', '/api/v1/keys'];
/** Dashboard sessions: rules of their own (public sign-in, cookie-only GET), in test/session.test.ts. */
const SESSION = ['POST /api/v1/session', 'GET /api/v1/session', 'DELETE /api/v1/session'];

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
      ...SESSION,
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
