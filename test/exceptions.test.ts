import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer } from '../src/composition-root.js';
import { DAY_MS } from '../src/exceptions/exception-rules.js';
import { findException, updateException } from '../src/exceptions/exception-store.js';
import { EXCEPTION_TYPES, ExceptionService } from '../src/exceptions/index.js';
import { ConflictError } from '../src/platform/errors.js';
import { dbKinds } from './databases.js';
import { createIntent, exampleIntent } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser, testSigningKey } from './test-app.js';

type Body = Record<string, unknown>;
type Json = Record<string, unknown> & { id: string };

const HOUR_MS = 3_600_000;
const FINDING = 'CVE-2024-3094|xz-utils|5.6.0';

/**
 * A second cabinet instance in a process of its own: wires a container on the same
 * database, says `ready`, waits for `go` on stdin, runs two sweeps at once at SWEEP_AT and
 * prints how many each expired.
 */
const SWEEP_CHILD = `
import { generateKeyPairSync } from 'node:crypto';
import { createContainer } from './src/composition-root.ts';
import { loadConfig } from './src/config/config.ts';
import { FixedClock } from './src/platform/clock.ts';
import { signingKeyFromPem } from './src/platform/crypto/signing-key.ts';
const { privateKey } = generateKeyPairSync('ed25519');
const container = await createContainer(loadConfig(process.env), {
  clock: new FixedClock(process.env.SWEEP_AT),
  signingKey: signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
  migrate: false,
});
process.stdout.write('ready\\n');
for await (const _ of process.stdin) break;
const runs = await Promise.all([container.exceptions.expireDue(), container.exceptions.expireDue()]);
process.stdout.write(JSON.stringify(runs));
await container.close();
`;

describe.each(dbKinds)('exception management on %s', (kind) => {
  let t: TestApp;
  let ann: TestUser;
  let bob: TestUser;
  let rev: TestUser;
  let rita: TestUser;
  /** Submitter and security reviewer at once: may request, never decide their own. */
  let dual: TestUser;
  let cab: TestUser;
  let auditor: TestUser;
  let sha: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    ann = await t.user(['submitter']);
    bob = await t.user(['submitter']);
    rev = await t.user(['security_reviewer']);
    rita = await t.user(['security_reviewer']);
    dual = await t.user(['submitter', 'security_reviewer']);
    cab = await t.user(['cab_member']);
    auditor = await t.user(['auditor']);
    sha = (await createIntent(t, ann)).artifactSha256;
    // Exceptions are requested by the owners of the artifact's intents: dual owns one too.
    await declare(dual, sha);
  });
  afterAll(async () => t.close());

  const inFromNow = (ms: number) => new Date(t.clock.now().getTime() + ms).toISOString();
  const freshArtifact = async () => (await createIntent(t, ann)).artifactSha256;
  async function declare(as: TestUser, artifactSha256: string): Promise<void> {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/intents',
      payload: exampleIntent(artifactSha256),
      as,
    });
    expect(res.statusCode).toBe(201);
  }

  const body = (overrides: Body = {}, scope: Body = {}): Body => ({
    exception_type: 'vuln_critical',
    scope: { artifact_sha256: sha, finding_ids: [FINDING], ...scope },
    description: 'xz backdoor build; the affected sshd path is not shipped in this package',
    compensating_controls: 'sshd disabled by baseline GPO; EDR rule 4711 alerts on liblzma load',
    expires_at: inFromNow(30 * DAY_MS),
    ...overrides,
  });
  const request = (payload: Body, as: TestUser = ann, headers: Record<string, string> = {}) =>
    t.call({ method: 'POST', url: '/api/v1/exceptions', payload, as, headers });
  const requested = async (payload: Body = body(), as: TestUser = ann): Promise<Json> => {
    const res = await request(payload, as);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Json>();
  };
  const act = (id: string, action: 'approve' | 'reject' | 'revoke', as: TestUser, payload?: Body) =>
    t.call({
      method: 'POST',
      url: `/api/v1/exceptions/${id}/${action}`,
      payload:
        payload ??
        (action === 'approve'
          ? { verification_steps: 'GPO report 2026-01 reviewed; EDR rule tested' }
          : { reason: 'compensating controls not in place' }),
      as,
    });
  const approved = async (payload: Body = body()): Promise<Json> => {
    const { id } = await requested(payload);
    const res = await act(id, 'approve', rev);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Json>();
  };
  const get = (id: string, as: TestUser = auditor) =>
    t.call({ method: 'GET', url: `/api/v1/exceptions/${id}`, as });
  const list = async (query: string, as: TestUser = auditor) => {
    const res = await t.call({ method: 'GET', url: `/api/v1/exceptions?${query}`, as });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ exceptions: Json[]; next_cursor: string | null }>();
  };
  const db = () => t.container.database.db;
  const eventsOf = (id: string) =>
    db()
      .selectFrom('audit_events')
      .select(['event_type', 'actor', 'data'])
      .where('subject', '=', id)
      .orderBy('seq')
      .execute();
  const count = async (table: 'exceptions' | 'exception_versions') =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const refusals = async () =>
    db()
      .selectFrom('audit_events')
      .select(['data'])
      .where('event_type', '=', 'request.refused')
      .orderBy('seq')
      .execute();

  /** Sweeps report what they expired: the sum over racing sweeps must equal the events. */
  const expiredEvents = async () =>
    (
      await db()
        .selectFrom('audit_events')
        .select('id')
        .where('event_type', '=', 'exception.expired')
        .execute()
    ).length;

  /** Runs a refused call and checks that nothing changed and the refusal was audited. */
  async function refused(
    call: () => Promise<{ statusCode: number; body: string; json(): unknown }>,
    status: number,
    expected: { reason?: string; path?: string; detail?: RegExp } = {},
  ) {
    const before = [await count('exceptions'), await count('exception_versions')];
    const refusedBefore = (await refusals()).length;
    const res = await call();
    expect(res.statusCode, res.body).toBe(status);
    const problem = res.json() as {
      reason?: string;
      detail: string;
      errors?: { path: string }[];
      type: string;
    };
    if (expected.reason) expect(problem.reason).toBe(expected.reason);
    if (expected.path) expect((problem.errors ?? []).map((e) => e.path)).toContain(expected.path);
    if (expected.detail) expect(problem.detail).toMatch(expected.detail);
    expect([await count('exceptions'), await count('exception_versions')]).toEqual(before);
    const after = await refusals();
    expect(after.length).toBe(refusedBefore + 1);
    expect(JSON.parse(after[after.length - 1]!.data)).toMatchObject({
      status,
      problem: problem.type,
    });
    return problem;
  }

  it('runs the whole lifecycle: request, approve, revoke, each versioned and audited', async () => {
    const expiresAt = inFromNow(30 * DAY_MS + 5 * HOUR_MS);
    const res = await request(body({ expires_at: expiresAt }));
    expect(res.statusCode).toBe(201);
    const created = res.json<Json>();
    expect(created).toMatchObject({
      exception_type: 'vuln_critical',
      scope: { artifact_sha256: sha, finding_ids: [FINDING], rule_ids: [] },
      status: 'pending',
      expires_at: expiresAt,
      days_until_expiry: 30,
      requested_by: ann.id,
      requested_at: t.clock.now().toISOString(),
      approved_by: null,
      approved_at: null,
      compensating_control_verification: null,
      decided_by: null,
      decided_reason: null,
      revision: 1,
    });
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect((await get(created.id)).json()).toEqual(created);

    t.clock.advance(6 * HOUR_MS);
    const approval = await act(created.id, 'approve', rev, {
      verification_steps: '  GPO report reviewed  ',
    });
    expect(approval.statusCode, approval.body).toBe(200);
    expect(approval.json()).toMatchObject({
      status: 'approved',
      approved_by: rev.id,
      approved_at: t.clock.now().toISOString(),
      compensating_control_verification: 'GPO report reviewed',
      days_until_expiry: 29,
      revision: 2,
    });
    const active = await t.container.exceptions.activeExceptions(sha, t.clock.now());
    expect(active).toContainEqual({
      id: created.id,
      exception_type: 'vuln_critical',
      finding_ids: [FINDING],
      rule_ids: [],
      expires_at: expiresAt,
      approved_by: rev.id,
      approved_at: t.clock.now().toISOString(),
      compensating_controls: created.compensating_controls,
      compensating_control_verification: 'GPO report reviewed',
      description: created.description,
      requested_by: ann.id,
    });

    const revocation = await act(created.id, 'revoke', rita, { reason: 'EDR rule disabled' });
    expect(revocation.statusCode, revocation.body).toBe(200);
    expect(revocation.json()).toMatchObject({
      status: 'revoked',
      approved_by: rev.id,
      decided_by: rita.id,
      decided_reason: 'EDR rule disabled',
      revision: 3,
    });
    const after = await t.container.exceptions.activeExceptions(sha, t.clock.now());
    expect(after.map((e) => e.id)).not.toContain(created.id);

    const versions = await t.call({
      method: 'GET',
      url: `/api/v1/exceptions/${created.id}/versions`,
      as: bob,
    });
    expect(versions.statusCode).toBe(200);
    const history = versions.json<{
      versions: { revision: number; transition: string; changed_by: string; snapshot: Body }[];
    }>().versions;
    expect(history.map((v) => [v.revision, v.transition, v.changed_by])).toEqual([
      [1, 'requested', ann.id],
      [2, 'approved', rev.id],
      [3, 'revoked', rita.id],
    ]);
    const [first, second, third] = history;
    expect(first!.snapshot).toEqual(
      Object.fromEntries(Object.entries(created).filter(([k]) => k !== 'days_until_expiry')),
    );
    expect(second!.snapshot).toMatchObject({ status: 'approved', approved_by: rev.id });
    expect(third!.snapshot).toMatchObject({
      status: 'revoked',
      decided_reason: 'EDR rule disabled',
    });

    const events = await eventsOf(created.id);
    expect(events.map((e) => [e.event_type, e.actor])).toEqual([
      ['exception.requested', ann.id],
      ['exception.approved', rev.id],
      ['exception.revoked', rita.id],
    ]);
    expect(JSON.parse(events[1]!.data)).toMatchObject({
      from: 'pending',
      to: 'approved',
      revision: 2,
      verification_steps: 'GPO report reviewed',
    });
    expect(JSON.parse(events[2]!.data)).toMatchObject({
      from: 'approved',
      to: 'revoked',
      reason: 'EDR rule disabled',
    });
    const verify = await t.call({ method: 'GET', url: '/api/v1/audit/verify', as: auditor });
    expect(verify.json()).toMatchObject({ ok: true });
  });

  it('rejects a pending exception once; the second rejection is a 409', async () => {
    const { id } = await requested(
      body({ exception_type: 'missing_evidence' }, { finding_ids: [], rule_ids: ['ring0_passed'] }),
    );
    const res = await act(id, 'reject', rev, { reason: ' ring 0 can run next week ' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'rejected',
      decided_by: rev.id,
      decided_reason: 'ring 0 can run next week',
      approved_by: null,
      revision: 2,
    });
    expect((await eventsOf(id)).map((e) => e.event_type)).toEqual([
      'exception.requested',
      'exception.rejected',
    ]);
    await refused(() => act(id, 'reject', rita), 409, {
      reason: 'exception_not_pending',
      detail: /is rejected/,
    });
    await refused(() => act(id, 'approve', rita), 409, { reason: 'exception_not_pending' });
    await refused(() => act(id, 'revoke', rita), 409, {
      reason: 'exception_not_approved',
      detail: /is rejected/,
    });
  });

  it('trims compensating controls and description, and accepts a trailing slash', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/exceptions/',
      payload: body({ compensating_controls: '  network isolation  ', description: ' d ' }),
      as: ann,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      compensating_controls: 'network isolation',
      description: 'd',
    });
  });

  describe('refuses bad requests, changing nothing and auditing each refusal', () => {
    const cases: [string, () => Body, number, string, string?][] = [
      [
        'an expiry in the past',
        () => body({ expires_at: inFromNow(-1) }),
        422,
        '/expires_at',
        'expiry_not_in_future',
      ],
      [
        'an expiry of now',
        () => body({ expires_at: inFromNow(0) }),
        422,
        '/expires_at',
        'expiry_not_in_future',
      ],
      [
        'an expiry beyond the maximum',
        () => body({ expires_at: inFromNow(90 * DAY_MS + 1) }),
        422,
        '/expires_at',
        'expiry_too_far',
      ],
      ['no expiry', () => body({ expires_at: undefined }), 400, '/expires_at'],
      [
        'an expiry that is not a timestamp',
        () => body({ expires_at: 'next tuesday' }),
        400,
        '/expires_at',
      ],
      [
        'an expiry without a zone',
        () => body({ expires_at: '2030-01-01T00:00:00' }),
        400,
        '/expires_at',
      ],
      [
        'no compensating controls',
        () => body({ compensating_controls: undefined }),
        400,
        '/compensating_controls',
      ],
      [
        'blank compensating controls',
        () => body({ compensating_controls: '  \n ' }),
        400,
        '/compensating_controls',
      ],
      ['no description', () => body({ description: '' }), 400, '/description'],
      [
        'an empty scope',
        () => body({}, { finding_ids: undefined }),
        422,
        '/scope/finding_ids',
        'scope_empty',
      ],
      [
        'empty id lists',
        () => body({}, { finding_ids: [], rule_ids: [] }),
        422,
        '/scope/finding_ids',
        'scope_empty',
      ],
      [
        'an unknown rule id',
        () =>
          body(
            { exception_type: 'policy_violation' },
            { finding_ids: undefined, rule_ids: ['sbom_present', 'be_nice'] },
          ),
        422,
        '/scope/rule_ids/1',
        'unknown_rule',
      ],
      [
        'rule ids on a vulnerability exception',
        () => body({}, { rule_ids: ['sbom_present'] }),
        422,
        '/scope/rule_ids',
        'scope_mismatch',
      ],
      [
        'finding ids on a policy exception',
        () => body({ exception_type: 'policy_violation' }, { rule_ids: ['sbom_present'] }),
        422,
        '/scope/finding_ids',
        'scope_mismatch',
      ],
      [
        'a finding named twice',
        () => body({}, { finding_ids: [FINDING, FINDING] }),
        422,
        '/scope/finding_ids/1',
        'scope_duplicate',
      ],
      [
        'a malformed finding id',
        () => body({}, { finding_ids: ['CVE-2024-3094'] }),
        400,
        '/scope/finding_ids/0',
      ],
      [
        'an unknown artifact',
        () => body({}, { artifact_sha256: 'f'.repeat(64) }),
        422,
        '/scope/artifact_sha256',
        'artifact_unknown',
      ],
      [
        'a malformed digest',
        () => body({}, { artifact_sha256: 'F'.repeat(64) }),
        400,
        '/scope/artifact_sha256',
      ],
      ['an unknown type', () => body({ exception_type: 'vuln_medium' }), 400, '/exception_type'],
      ['a server-owned field', () => body({ status: 'approved' }), 400, '/status'],
      ['an unknown scope field', () => body({}, { intent_id: 'x' }), 400, '/scope/intent_id'],
    ];
    it.each(cases)('%s', async (_name, payload, status, path, reason) => {
      await refused(() => request(payload()), status, { path, ...(reason ? { reason } : {}) });
    });

    it('names the unknown artifact first, and every other problem too', async () => {
      const problem = await refused(
        () =>
          request(
            body(
              { expires_at: inFromNow(-1) },
              { artifact_sha256: 'e'.repeat(64), finding_ids: [] },
            ),
          ),
        422,
        { reason: 'artifact_unknown' },
      );
      expect(problem.errors!.map((e) => e.path)).toEqual([
        '/scope/artifact_sha256',
        '/expires_at',
        '/scope/finding_ids',
      ]);
      expect(problem.detail).toMatch(/breaks 3 rules: \/scope\/artifact_sha256 no artifact/);
    });

    it('accepts an expiry of exactly the maximum ahead', async () => {
      const res = await request(body({ expires_at: inFromNow(90 * DAY_MS) }));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ days_until_expiry: 90 });
    });
  });

  it('never lets the requester decide their own exception, whatever their roles', async () => {
    const own = await requested(body(), dual);
    for (const action of ['approve', 'reject'] as const) {
      await refused(() => act(own.id, action, dual), 403, { reason: 'separation_of_duties' });
    }
    expect((await act(own.id, 'approve', rev)).statusCode).toBe(200);
    await refused(() => act(own.id, 'revoke', dual), 403, { reason: 'separation_of_duties' });
    expect((await get(own.id)).json()).toMatchObject({ status: 'approved', revision: 2 });
  });

  it('lets only security reviewers decide', async () => {
    const { id } = await requested();
    for (const who of [ann, bob, cab, auditor, t.admin]) {
      for (const action of ['approve', 'reject', 'revoke'] as const) {
        await refused(() => act(id, action, who), 403, { reason: 'missing_role' });
      }
    }
    await refused(() => request(body(), rev), 403, { reason: 'missing_role' });
  });

  it('answers 404 for an exception that does not exist', async () => {
    for (const action of ['approve', 'reject', 'revoke'] as const) {
      await refused(() => act('nope', action, rev), 404);
    }
    expect((await get('nope')).statusCode).toBe(404);
    const versions = await t.call({ method: 'GET', url: '/api/v1/exceptions/nope/versions' });
    expect(versions.statusCode).toBe(404);
  });

  it('refuses to approve an expired request or to revoke what is not approved', async () => {
    const late = await requested(body({ expires_at: inFromNow(HOUR_MS) }));
    const pending = await requested();
    await refused(() => act(pending.id, 'revoke', rev), 409, {
      reason: 'exception_not_approved',
      detail: /is pending/,
    });
    t.clock.advance(HOUR_MS);
    await refused(() => act(late.id, 'approve', rev), 422, {
      reason: 'exception_expired',
      detail: /expired at/,
    });
    // A pending request past its expiry can still be turned down, which closes it.
    expect((await act(late.id, 'reject', rev)).statusCode).toBe(200);

    const revoked = await approved();
    expect((await act(revoked.id, 'revoke', rev)).statusCode).toBe(200);
    await refused(() => act(revoked.id, 'approve', rita), 409, {
      reason: 'exception_not_pending',
      detail: /is revoked/,
    });
    await refused(() => act(revoked.id, 'revoke', rita), 409, {
      reason: 'exception_not_approved',
      detail: /is revoked/,
    });
    const twice = await approved();
    await refused(() => act(twice.id, 'approve', rita), 409, { reason: 'exception_not_pending' });
  });

  it('stops counting an exception at expires_at exactly, before the sweep runs', async () => {
    const artifact = await freshArtifact();
    const expiresAt = inFromNow(2 * HOUR_MS);
    const exception = await approved(
      body({ expires_at: expiresAt }, { artifact_sha256: artifact }),
    );
    const ids = async (at: Date) =>
      (await t.container.exceptions.activeExceptions(artifact, at)).map((e) => e.id);
    const expiry = Date.parse(expiresAt);
    expect(await ids(new Date(expiry - 1))).toEqual([exception.id]);
    expect(await ids(new Date(expiry))).toEqual([]);
    expect(await ids(new Date(expiry + 1))).toEqual([]);
    expect(
      await t.container.exceptions.activeExceptions(sha, new Date(expiry - 1)),
    ).not.toContainEqual(expect.objectContaining({ id: exception.id }));
    // Inside a caller's transaction too (the policy engine freezes facts in one).
    const inTrx = await t.container.database.transaction((trx) =>
      t.container.exceptions.activeExceptions(artifact, new Date(expiry - 1), trx),
    );
    expect(inTrx.map((e) => e.id)).toEqual([exception.id]);

    t.clock.set(new Date(expiry - 1));
    expect((await get(exception.id)).json()).toMatchObject({
      status: 'approved',
      days_until_expiry: 0,
    });
    t.clock.set(new Date(expiry));
    expect((await get(exception.id)).json()).toMatchObject({
      status: 'expired',
      days_until_expiry: 0,
    });
    const stored = await db()
      .selectFrom('exceptions')
      .select('status')
      .where('id', '=', exception.id)
      .executeTakeFirstOrThrow();
    expect(stored.status).toBe('approved');
    await refused(() => act(exception.id, 'revoke', rev), 409, {
      reason: 'exception_not_approved',
      detail: /is expired/,
    });
    await refused(() => act(exception.id, 'approve', rita), 409, {
      reason: 'exception_not_pending',
      detail: /is expired/,
    });
  });

  it('records each expiry once however many sweeps run at the same time', async () => {
    await t.container.exceptions.expireDue();
    const artifact = await freshArtifact();
    const a = await approved(
      body({ expires_at: inFromNow(HOUR_MS) }, { artifact_sha256: artifact }),
    );
    const b = await approved(
      body(
        { exception_type: 'policy_violation', expires_at: inFromNow(HOUR_MS) },
        { artifact_sha256: artifact, finding_ids: undefined, rule_ids: ['artifact_signed'] },
      ),
    );
    const later = await approved(
      body({ expires_at: inFromNow(3 * HOUR_MS) }, { artifact_sha256: artifact }),
    );
    expect(await t.container.exceptions.expireDue()).toBe(0);

    t.clock.advance(HOUR_MS);
    const eventsBefore = await expiredEvents();
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => t.container.exceptions.expireDue()),
    );
    const total = runs.reduce((sum, n) => sum + n, 0);
    expect(total).toBe((await expiredEvents()) - eventsBefore);
    expect(total).toBeGreaterThanOrEqual(2);
    for (const { id } of [a, b]) {
      expect((await eventsOf(id)).map((e) => e.event_type)).toEqual([
        'exception.requested',
        'exception.approved',
        'exception.expired',
      ]);
      const [, , expired] = await eventsOf(id);
      expect(expired!.actor).toBe('system');
      expect(JSON.parse(expired!.data)).toMatchObject({
        from: 'approved',
        to: 'expired',
        revision: 3,
      });
      const versions = (
        await t.call({ method: 'GET', url: `/api/v1/exceptions/${id}/versions` })
      ).json<{ versions: { transition: string; changed_by: string; snapshot: Body }[] }>().versions;
      expect(versions.map((v) => v.transition)).toEqual(['requested', 'approved', 'expired']);
      expect(versions[2]).toMatchObject({ changed_by: 'system', snapshot: { status: 'expired' } });
      expect((await get(id)).json()).toMatchObject({ status: 'expired', revision: 3 });
    }
    expect((await get(later.id)).json()).toMatchObject({ status: 'approved' });
    expect(await t.container.exceptions.expireDue()).toBe(0);
  });

  /** Three approved exceptions for a fresh artifact, all due one hour from now. */
  async function threeDueInAnHour(): Promise<Json[]> {
    await t.container.exceptions.expireDue();
    const artifact = await freshArtifact();
    const due: Json[] = [];
    for (let i = 0; i < 3; i++) {
      due.push(
        await approved(body({ expires_at: inFromNow(HOUR_MS) }, { artifact_sha256: artifact })),
      );
    }
    return due;
  }

  async function expectExpiredOnce(due: Json[]) {
    for (const { id } of due) {
      const expired = (await eventsOf(id)).filter((e) => e.event_type === 'exception.expired');
      expect(expired).toHaveLength(1);
      const versions = await db()
        .selectFrom('exception_versions')
        .select('transition')
        .where('exception_id', '=', id)
        .orderBy('revision')
        .execute();
      expect(versions.map((v) => v.transition)).toEqual(['requested', 'approved', 'expired']);
    }
    const verify = await t.call({ method: 'GET', url: '/api/v1/audit/verify', as: auditor });
    expect(verify.json()).toMatchObject({ ok: true });
  }

  it('records each expiry once across two containers sharing the database', async () => {
    const other = await createContainer(t.container.config, {
      clock: t.clock,
      signingKey: testSigningKey(),
      migrate: false,
    });
    try {
      const due = await threeDueInAnHour();
      t.clock.advance(HOUR_MS);
      const eventsBefore = await expiredEvents();
      const sweeps = [
        () => t.container.exceptions.expireDue(),
        () => other.exceptions.expireDue(),
        () => t.container.exceptions.expireDue(),
        () => other.exceptions.expireDue(),
      ];
      // Two SQLite connections in one process cannot overlap write transactions: the
      // waiting one spins on the busy timeout synchronously and starves the holder. Across
      // processes they queue (next test); here SQLite takes turns, PostgreSQL races.
      const runs =
        kind === 'postgres'
          ? await Promise.all(sweeps.map((sweep) => sweep()))
          : await sweeps.reduce<Promise<number[]>>(
              async (done, sweep) => [...(await done), await sweep()],
              Promise.resolve([]),
            );
      const total = runs.reduce((sum, n) => sum + n, 0);
      expect(total).toBe((await expiredEvents()) - eventsBefore);
      expect(total).toBeGreaterThanOrEqual(3);
      await expectExpiredOnce(due);
    } finally {
      await other.close();
    }
  });

  it('records each expiry once across two processes sweeping at the same time', async () => {
    const due = await threeDueInAnHour();
    t.clock.advance(HOUR_MS);
    const eventsBefore = await expiredEvents();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SWEEP_CHILD],
      {
        env: {
          ...process.env,
          CABINET_DATA_DIR: t.database.dataDir,
          CABINET_DATABASE_URL: t.database.url,
          CABINET_LOG_LEVEL: 'silent',
          SWEEP_AT: t.clock.now().toISOString(),
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8');
    const ready = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('ready')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await ready;
    child.stdin.end('go\n');
    const mine = await Promise.all([
      t.container.exceptions.expireDue(),
      t.container.exceptions.expireDue(),
    ]);
    expect(await exited).toBe(0);
    const theirs = JSON.parse(output.slice(output.indexOf('['))) as number[];
    const total = [...mine, ...theirs].reduce((sum, n) => sum + n, 0);
    expect(total).toBe((await expiredEvents()) - eventsBefore);
    expect(total).toBeGreaterThanOrEqual(3);
    await expectExpiredOnce(due);
  });

  it('lets exactly one of two concurrent decisions win; the other gets 409', async () => {
    for (let round = 0; round < 3; round++) {
      const { id } = await requested();
      const [first, second] = await Promise.all([act(id, 'approve', rev), act(id, 'reject', rita)]);
      expect([first.statusCode, second.statusCode].sort()).toEqual([200, 409]);
      const loser = first.statusCode === 409 ? first : second;
      expect(loser.json()).toMatchObject({ reason: 'exception_not_pending' });
      const versions = await db()
        .selectFrom('exception_versions')
        .select('transition')
        .where('exception_id', '=', id)
        .execute();
      expect(versions).toHaveLength(2);
      const decisions = (await eventsOf(id)).filter(
        (e) => e.event_type === 'exception.approved' || e.event_type === 'exception.rejected',
      );
      expect(decisions).toHaveLength(1);
      // The loser's refusal is in the exception's history too.
      expect((await eventsOf(id)).map((e) => e.event_type)).toContain('request.refused');
    }
  });

  it('replays an Idempotency-Key instead of requesting twice', async () => {
    const payload = body();
    const headers = { 'idempotency-key': `exc-${kind}-1` };
    const first = await request(payload, ann, headers);
    const again = await request(payload, ann, headers);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const changed = await request({ ...payload, description: 'other' }, ann, headers);
    expect(changed.statusCode).toBe(422);
  });

  it('lists by status, artifact, requester and expiry window, page by page', async () => {
    const artifact = await freshArtifact();
    const at = (days: number) => inFromNow(days * DAY_MS);
    const scoped = (expires: string, as: TestUser = ann) =>
      requested(body({ expires_at: expires }, { artifact_sha256: artifact }), as);
    await declare(bob, artifact);
    const p3 = await scoped(at(3));
    const p10 = await scoped(at(10), bob);
    const a5 = await scoped(at(5));
    expect((await act(a5.id, 'approve', rev)).statusCode).toBe(200);
    const a2h = await scoped(inFromNow(2 * HOUR_MS));
    expect((await act(a2h.id, 'approve', rev)).statusCode).toBe(200);
    const r4 = await scoped(at(4));
    expect((await act(r4.id, 'reject', rev)).statusCode).toBe(200);
    const short = await scoped(inFromNow(HOUR_MS));
    expect((await act(short.id, 'approve', rev)).statusCode).toBe(200);
    t.clock.advance(HOUR_MS); // `short` is now expired by time, not yet swept

    const ids = async (query: string) =>
      (await list(`artifact_sha256=${artifact}&${query}`)).exceptions.map((e) => e.id);
    expect(await ids('')).toEqual([p3.id, p10.id, a5.id, a2h.id, r4.id, short.id]);
    expect(await ids('status=pending')).toEqual([p3.id, p10.id]);
    expect(await ids('status=approved')).toEqual([a5.id, a2h.id]);
    expect(await ids('status=expired')).toEqual([short.id]);
    expect(await ids('status=rejected')).toEqual([r4.id]);
    expect(await ids('status=revoked')).toEqual([]);
    expect(await ids(`requested_by=${bob.id}`)).toEqual([p10.id]);
    expect(await ids('expiring_within_days=1')).toEqual([a2h.id]);
    expect(await ids('expiring_within_days=3')).toEqual([p3.id, a2h.id]);
    expect(await ids('expiring_within_days=7&status=approved')).toEqual([a5.id, a2h.id]);
    const listed = (await list(`artifact_sha256=${artifact}&status=expired`)).exceptions[0]!;
    expect(listed).toMatchObject({ status: 'expired', days_until_expiry: 0 });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(
        `artifact_sha256=${artifact}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        cab,
      );
      seen.push(...page.exceptions.map((e) => e.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual([p3.id, p10.id, a5.id, a2h.id, r4.id, short.id]);

    for (const bad of [
      'status=open',
      'expiring_within_days=0',
      'expiring_within_days=x',
      'foo=1',
    ]) {
      const res = await t.call({ method: 'GET', url: `/api/v1/exceptions?${bad}`, as: auditor });
      expect(res.statusCode, bad).toBe(400);
    }
  });

  it('reads exceptions for every role', async () => {
    const { id } = await requested();
    for (const who of [ann, bob, rev, cab, auditor, t.admin]) {
      expect((await get(id, who)).statusCode).toBe(200);
    }
  });

  it('honours CABINET_EXCEPTION_MAX_DAYS', async () => {
    const short = await startTestApp(kind, { env: { CABINET_EXCEPTION_MAX_DAYS: '7' } });
    try {
      const submitter = await short.user(['submitter']);
      const artifact = (await createIntent(short, submitter)).artifactSha256;
      const payload = (days: number) =>
        body(
          { expires_at: new Date(short.clock.now().getTime() + days * DAY_MS).toISOString() },
          { artifact_sha256: artifact },
        );
      const far = await short.call({
        method: 'POST',
        url: '/api/v1/exceptions',
        payload: payload(8),
        as: submitter,
      });
      expect(far.statusCode).toBe(422);
      expect(far.json()).toMatchObject({ reason: 'expiry_too_far' });
      expect(far.json().detail).toMatch(/at most 7 days ahead/);
      const near = await short.call({
        method: 'POST',
        url: '/api/v1/exceptions',
        payload: payload(7),
        as: submitter,
      });
      expect(near.statusCode, near.body).toBe(201);
    } finally {
      await short.close();
    }
  });

  it('is listed in the OpenAPI document', async () => {
    const doc = (await t.call({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/exceptions',
        '/api/v1/exceptions/{id}',
        '/api/v1/exceptions/{id}/versions',
        '/api/v1/exceptions/{id}/approve',
        '/api/v1/exceptions/{id}/reject',
        '/api/v1/exceptions/{id}/revoke',
      ]),
    );
  });

  it('serves other domains without HTTP, through the index', async () => {
    const service = new ExceptionService({
      database: t.container.database,
      clock: t.clock,
      audit: t.container.audit,
      outbox: t.container.outbox,
      people: t.container.identity,
      lapses: { lapsed: async () => 0 },
      artifacts: t.container.artifacts,
      owners: t.container.intents,
      maxDays: 2,
    });
    // The service applies the ownership rule itself: bob owns no intent of this artifact.
    const bobs = { actorId: bob.id, roles: ['submitter'], correlationId: null };
    const ctx = { actorId: ann.id, roles: ['submitter'], correlationId: null };
    const input = {
      exception_type: EXCEPTION_TYPES[2],
      scope: { artifact_sha256: sha, rule_ids: ['licenses_allowed'] },
      description: 'GPL component under legal review',
      compensating_controls: 'not redistributed',
      expires_at: inFromNow(2 * DAY_MS),
    };
    await expect(
      t.container.database.transaction((trx) => service.request(trx, bobs, input)),
    ).rejects.toMatchObject({ reason: 'not_intent_owner' });
    const made = await t.container.database.transaction((trx) => service.request(trx, ctx, input));
    expect(made).toMatchObject({ status: 'pending', days_until_expiry: 2 });
    await expect(
      t.container.database.transaction((trx) =>
        service.request(trx, ctx, { ...input, expires_at: inFromNow(2 * DAY_MS + 1) }),
      ),
    ).rejects.toMatchObject({ reason: 'expiry_too_far' });
  });

  it('refuses a write based on a stale revision (the last line of defence)', async () => {
    const { id } = await requested();
    const record = (await findException(db(), id))!;
    await expect(updateException(db(), { ...record, status: 'approved' }, 7)).rejects.toThrow(
      ConflictError,
    );
    expect((await findException(db(), id))!.status).toBe('pending');
  });

  it('keeps the version history append-only in the database itself', async () => {
    const { id } = await requested();
    await expect(
      db()
        .updateTable('exception_versions')
        .set({ transition: 'approved' })
        .where('exception_id', '=', id)
        .execute(),
    ).rejects.toThrow(/append-only/);
    await expect(
      db().deleteFrom('exception_versions').where('exception_id', '=', id).execute(),
    ).rejects.toThrow(/append-only/);
  });
});
