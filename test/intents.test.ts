import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateIntent } from '../src/intents/intent-store.js';
import { ConflictError, NotFoundError } from '../src/platform/errors.js';
import { dbKinds } from './databases.js';
import { exampleIntent } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

type Body = Record<string, unknown>;

/** The artifact endpoints belong to the intake; these tests put the row in directly. */
async function addArtifact(t: TestApp, sha256 = randomSha()): Promise<string> {
  await t.container.database.db
    .insertInto('artifacts')
    .values({
      sha256,
      size_bytes: 1_573_888,
      publisher: 'Igor Pavlov',
      filename: '7z2408-x64.exe',
      build_time: '2024-08-11T00:00:00.000Z',
      content_stored: false,
      created_by: t.admin.id,
      created_at: t.clock.now().toISOString(),
    })
    .execute();
  return sha256;
}

function randomSha(): string {
  return createHash('sha256').update(randomBytes(16)).digest('hex');
}

/** DESIGN.md's example body, verbatim but for the digest. */
function example(artifactSha256: string): Body {
  return exampleIntent(artifactSha256) as unknown as Body;
}

/** A copy of `body` with the value at a slash path replaced (or removed when undefined). */
function withValue(body: Body, path: string, value: unknown): Body {
  const copy = structuredClone(body);
  const keys = path.split('/').slice(1);
  let node = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const errorPaths = (res: { json(): unknown }) =>
  ((res.json() as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path);

describe.each(dbKinds)('deployment intents on %s', (kind) => {
  let t: TestApp;
  let ann: TestUser;
  let bob: TestUser;
  let sha: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    ann = await t.user(['submitter']);
    bob = await t.user(['submitter']);
    sha = await addArtifact(t);
  });
  afterAll(async () => t.close());

  const create = (body: Body, as: TestUser = ann, headers: Record<string, string> = {}) =>
    t.call({ method: 'POST', url: '/api/v1/intents', payload: body, as, headers });
  const patch = (
    id: string,
    body: Body,
    as: TestUser = ann,
    headers: Record<string, string> = {},
  ) => t.call({ method: 'PATCH', url: `/api/v1/intents/${id}`, payload: body, as, headers });
  const eventsOf = (id: string) =>
    t.container.database.db
      .selectFrom('audit_events')
      .select(['event_type', 'actor', 'data'])
      .where('subject', '=', id)
      .orderBy('seq')
      .execute();

  it('creates a draft from DESIGN.md’s example, with its artifact, and audits it', async () => {
    const res = await create(example(sha));
    expect(res.statusCode).toBe(201);
    const intent = res.json();
    expect(intent).toMatchObject({
      ...example(sha),
      status: 'draft',
      revision: 1,
      created_by: ann.id,
      artifact: {
        sha256: sha,
        size_bytes: 1_573_888,
        publisher: 'Igor Pavlov',
        filename: '7z2408-x64.exe',
        build_time: '2024-08-11T00:00:00.000Z',
      },
    });
    expect(intent.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(intent.created_at).toBe(intent.updated_at);

    const events = await eventsOf(intent.id);
    expect(events.map((e) => e.event_type)).toEqual(['intent.created']);
    expect(events[0]!.actor).toBe(ann.id);
    expect(JSON.parse(events[0]!.data)).toMatchObject({
      app_name: '7-Zip',
      artifact_sha256: sha,
      status: 'draft',
      revision: 1,
    });

    const read = await t.call({ method: 'GET', url: `/api/v1/intents/${intent.id}`, as: bob });
    expect(read.statusCode).toBe(200);
    expect(read.headers.etag).toBe('"1"');
    expect(read.json()).toEqual(intent);
    const auditor = await t.user(['auditor']);
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/intents/${intent.id}`, as: auditor }))
        .statusCode,
    ).toBe(200);
  });

  it('applies the default timeouts and an empty exclusion list', async () => {
    let body = withValue(example(sha), '/install_timeout_seconds', undefined);
    body = withValue(body, '/uninstall_timeout_seconds', undefined);
    body = withValue(body, '/rollout_plan/rings/0/exclusions', undefined);
    const res = await create(body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      install_timeout_seconds: 600,
      uninstall_timeout_seconds: 300,
    });
    expect(res.json().rollout_plan.rings[0].exclusions).toEqual([]);
  });

  it('answers 404 for an unknown intent', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/intents/nope', as: ann });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses an unknown artifact with 422, saying how to make it known', async () => {
    const res = await create(example(randomSha()));
    expect(res.statusCode).toBe(422);
    expect(res.json().reason).toBe('artifact_unknown');
    expect(res.json().errors).toEqual([
      {
        path: '/artifact_sha256',
        message: expect.stringMatching(
          /upload it \(POST \/api\/v1\/artifacts\) or register it \(POST \/api\/v1\/artifacts\/register\) first/,
        ),
      },
    ]);
    expect(res.json().detail).toContain('/artifact_sha256');
  });

  it('refuses unknown and server-owned fields with 400, at any depth', async () => {
    const cases: [string, unknown][] = [
      ['/id', 'mine'],
      ['/status', 'approved'],
      ['/created_by', 'someone'],
      ['/revision', 7],
      ['/risk_score', 0],
      ['/artifact', { sha256: sha }],
      ['/rollout_plan/schedule', { start: '2026-01-01T00:00:00Z' }],
      ['/rollout_plan/rings/0/priority', 1],
      ['/rollback_plan/owner', 'ops'],
    ];
    for (const [path, value] of cases) {
      const res = await create(withValue(example(sha), path, value));
      expect(res.statusCode, path).toBe(400);
      expect(res.json().errors, path).toContainEqual({ path, message: 'unknown field' });
    }
    const proto = await t.call({
      method: 'POST',
      url: '/api/v1/intents',
      as: ann,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(example(sha)).replace('{', '{"__proto__":{"status":"approved"},'),
    });
    expect(proto.statusCode).toBe(400);
  });

  const shapeCases: [string, string, unknown][] = [
    ['empty app_name', '/app_name', ''],
    ['blank app_name', '/app_name', '   '],
    ['missing justification', '/justification', undefined],
    ['unknown plane', '/plane', 'sccm'],
    ['upper-case digest', '/artifact_sha256', 'A'.repeat(64)],
    ['short digest', '/artifact_sha256', 'abc123'],
    ['zero install timeout', '/install_timeout_seconds', 0],
    ['install timeout over a day', '/install_timeout_seconds', 86_401],
    ['fractional install timeout', '/install_timeout_seconds', 1.5],
    ['install timeout as text', '/install_timeout_seconds', '600'],
    ['zero uninstall timeout', '/uninstall_timeout_seconds', 0],
    ['unknown detection method', '/detection_method', 'wmi'],
    ['empty detection query', '/detection_query', ''],
    ['no rings', '/rollout_plan/rings', []],
    ['ring of size 0', '/rollout_plan/rings/0/size', 0],
    ['ring of fractional size', '/rollout_plan/rings/1/size', 2.5],
    ['negative start offset', '/rollout_plan/rings/0/start_offset_hours', -1],
    ['zero duration', '/rollout_plan/rings/1/duration_hours', 0],
    ['blank ring name', '/rollout_plan/rings/1/name', ' '],
    ['missing target group', '/rollout_plan/rings/0/target_group', undefined],
    ['exclusions not a list', '/rollout_plan/rings/1/exclusions', 'Kiosks'],
    ['unknown strategy', '/rollback_plan/strategy', 'pray'],
    ['steps not strings', '/rollback_plan/steps', [1]],
  ];
  it.each(shapeCases)('refuses %s with 400 at %s', async (_, path, value) => {
    const res = await create(withValue(example(sha), path, value));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(errorPaths(res).some((p) => p === path || p.startsWith(`${path}/`))).toBe(true);
  });

  it('refuses more than 20 rings with 400', async () => {
    const rings = Array.from({ length: 21 }, (_, i) => ({
      name: `r${i}`,
      target_group: 'G',
      size: 1,
      start_offset_hours: i,
      duration_hours: 1,
      exclusions: [],
    }));
    const res = await create(withValue(example(sha), '/rollout_plan/rings', rings));
    expect(res.statusCode).toBe(400);
    expect(errorPaths(res)).toEqual(['/rollout_plan/rings']);
  });

  const ruleCases: [string, [string, unknown][], string][] = [
    [
      'duplicate ring names',
      [['/rollout_plan/rings/1/name', 'RING0']],
      '/rollout_plan/rings/1/name',
    ],
    [
      'a ring starting before the previous one',
      [
        ['/rollout_plan/rings/1/start_offset_hours', 0.5],
        ['/rollout_plan/rings/0/start_offset_hours', 1],
      ],
      '/rollout_plan/rings/1/start_offset_hours',
    ],
    [
      'a ring excluding its own target group',
      [['/rollout_plan/rings/1/exclusions', ['Kiosks', 'Pilot']]],
      '/rollout_plan/rings/1/exclusions/1',
    ],
    [
      'reinstall_previous without previous_version',
      [['/rollback_plan/previous_version', undefined]],
      '/rollback_plan/previous_version',
    ],
    [
      'reinstall_previous of the version being deployed',
      [['/rollback_plan/previous_version', '24.08']],
      '/rollback_plan/previous_version',
    ],
    [
      'custom rollback without steps',
      [['/rollback_plan', { strategy: 'custom' }]],
      '/rollback_plan/steps',
    ],
    [
      'supersede on jamf',
      [
        ['/plane', 'jamf'],
        ['/detection_method', 'file'],
        ['/detection_query', '/Applications/7-Zip.app'],
        ['/rollback_plan', { strategy: 'supersede' }],
      ],
      '/rollback_plan/strategy',
    ],
    ['registry detection on jamf', [['/plane', 'jamf']], '/detection_method'],
    [
      'product-code detection on landscape',
      [
        ['/plane', 'landscape'],
        ['/detection_method', 'productcode'],
      ],
      '/detection_method',
    ],
    [
      'a registry query without a hive',
      [['/detection_query', 'SOFTWARE\\7-Zip']],
      '/detection_query',
    ],
    [
      'a product code that is not a GUID',
      [
        ['/detection_method', 'productcode'],
        ['/detection_query', '{1234}'],
      ],
      '/detection_query',
    ],
    [
      'a POSIX path on a Windows plane',
      [
        ['/detection_method', 'file'],
        ['/detection_query', '/usr/bin/7z'],
      ],
      '/detection_query',
    ],
    [
      'a Windows path on jamf',
      [
        ['/plane', 'jamf'],
        ['/detection_method', 'file'],
        ['/detection_query', 'C:\\Program Files\\7-Zip\\7z.exe'],
      ],
      '/detection_query',
    ],
  ];
  it.each(ruleCases.map(([name, edits, path]) => [name, path, edits] as const))(
    'refuses %s with 422 at %s',
    async (_, path, edits) => {
      let body = example(sha);
      for (const [at, value] of edits) body = withValue(body, at, value);
      const res = await create(body);
      expect(res.statusCode).toBe(422);
      expect(res.json().reason).toBe('intent_rules');
      expect(errorPaths(res)).toEqual([path]);
      expect(res.json().detail).toContain(path);
    },
  );

  it('reports every broken rule at once, the unknown artifact first', async () => {
    let body = withValue(example(randomSha()), '/plane', 'jamf');
    body = withValue(body, '/rollout_plan/rings/1/name', 'ring0');
    const res = await create(body);
    expect(res.statusCode).toBe(422);
    expect(errorPaths(res)).toEqual([
      '/artifact_sha256',
      '/detection_method',
      '/rollout_plan/rings/1/name',
    ]);
    expect(res.json().detail).toMatch(/breaks 3 rules: \/artifact_sha256 .*and more/);
  });

  it('lists intents with filters and cursor pagination', async () => {
    const other = await addArtifact(t);
    const app = `List-${kind}`;
    const mine = [];
    for (const version of ['1.0', '2.0', '3.0']) {
      // uuidv7 orders by millisecond; within one the order is random, so let time pass.
      t.clock.advance(1);
      const res = await create({ ...example(other), app_name: app, app_version: version });
      expect(res.statusCode).toBe(201);
      mine.push(res.json().id as string);
    }
    t.clock.advance(1);
    const jamf = await create(
      {
        ...example(other),
        app_name: app,
        plane: 'jamf',
        detection_method: 'file',
        detection_query: '/Applications/7-Zip.app',
      },
      bob,
    );
    expect(jamf.statusCode).toBe(201);
    const list = (query: string) =>
      t.call({ method: 'GET', url: `/api/v1/intents?${query}`, as: ann });

    const byApp = await list(`app_name=${app}`);
    expect(byApp.json().intents.map((i: { id: string }) => i.id)).toEqual([
      ...mine,
      jamf.json().id,
    ]);
    const byPlane = await list(`app_name=${app}&plane=jamf`);
    expect(byPlane.json().intents.map((i: { id: string }) => i.id)).toEqual([jamf.json().id]);
    const byCreator = await list(`app_name=${app}&created_by=${bob.id}`);
    expect(byCreator.json().intents).toHaveLength(1);
    expect((await list(`app_name=${app}&status=ready`)).json().intents).toEqual([]);
    expect((await list(`app_name=${app}&status=draft`)).json().intents).toHaveLength(4);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`app_name=${app}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.statusCode).toBe(200);
      seen.push(...page.json().intents.map((i: { id: string }) => i.id));
      cursor = page.json().next_cursor;
    } while (cursor);
    expect(seen).toEqual([...mine, jamf.json().id]);

    const bad = await list('status=pending&colour=red');
    expect(bad.statusCode).toBe(400);
    expect(errorPaths(bad)).toEqual(
      expect.arrayContaining(['querystring:/status', 'querystring:/colour']),
    );
  });

  it('changes a draft by its creator, validating the merged whole and auditing the diff', async () => {
    const id = (await create(example(sha))).json().id as string;
    const res = await patch(id, {
      app_version: '24.09',
      install_command: '7z2409-x64.exe /S',
      rollback_plan: { strategy: 'uninstall' },
      justification: 'Security update', // unchanged: not reported as a change
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.json()).toMatchObject({
      id,
      revision: 2,
      status: 'draft',
      app_version: '24.09',
      app_name: '7-Zip',
      rollback_plan: { strategy: 'uninstall' },
      artifact: { sha256: sha },
    });
    expect(res.json().rollback_plan).not.toHaveProperty('previous_version');

    const events = await eventsOf(id);
    expect(events.map((e) => e.event_type)).toEqual(['intent.created', 'intent.updated']);
    expect(JSON.parse(events[1]!.data)).toEqual({
      revision: 2,
      changes: {
        app_version: { before: '24.08', after: '24.09' },
        install_command: { before: '7z2408-x64.exe /S', after: '7z2409-x64.exe /S' },
        rollback_plan: {
          before: {
            strategy: 'reinstall_previous',
            previous_version: '23.01',
            steps: ['uninstall 24.08', 'install 23.01'],
          },
          after: { strategy: 'uninstall' },
        },
      },
    });

    // Saying what is already true is no change: same revision, no event.
    const same = await patch(id, { app_version: '24.09' });
    expect(same.statusCode).toBe(200);
    expect(same.json().revision).toBe(2);
    expect(await eventsOf(id)).toHaveLength(2);

    // The merged intent must still hold together: jamf cannot use the registry detection.
    const broken = await patch(id, { plane: 'jamf' });
    expect(broken.statusCode).toBe(422);
    expect(errorPaths(broken)).toEqual(['/detection_method']);
    const moved = await patch(id, {
      plane: 'jamf',
      detection_method: 'file',
      detection_query: '/Applications/7-Zip.app',
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ plane: 'jamf', revision: 3 });

    const newArtifact = await addArtifact(t);
    const rebased = await patch(id, { artifact_sha256: newArtifact });
    expect(rebased.json().artifact.sha256).toBe(newArtifact);
    const unknown = await patch(id, { artifact_sha256: randomSha() });
    expect(unknown.statusCode).toBe(422);
    expect(errorPaths(unknown)).toEqual(['/artifact_sha256']);

    const stored = await t.call({ method: 'GET', url: `/api/v1/intents/${id}`, as: ann });
    expect(stored.json()).toMatchObject({ revision: 4, plane: 'jamf' });
  });

  it('refuses bad PATCH bodies with 400', async () => {
    const id = (await create(example(sha))).json().id as string;
    expect((await patch(id, {})).statusCode).toBe(400);
    for (const field of ['status', 'id', 'created_by', 'revision']) {
      const res = await patch(id, { [field]: 'x' });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toContainEqual({ path: `/${field}`, message: 'unknown field' });
    }
    const nullValue = await patch(id, { app_version: null });
    expect(nullValue.statusCode).toBe(400);
    expect(errorPaths(nullValue)).toEqual(['/app_version']);
    const badRing = await patch(id, { rollout_plan: { rings: [{ name: 'r0' }] } });
    expect(badRing.statusCode).toBe(400);
    expect(errorPaths(badRing)).toContain('/rollout_plan/rings/0/size');
    const missing = await patch('does-not-exist', { app_version: '1' });
    expect(missing.statusCode).toBe(404);
  });

  it('lets only the creator change an intent (403, audited)', async () => {
    const id = (await create(example(sha))).json().id as string;
    const res = await patch(id, { app_version: '99' }, bob);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ reason: 'not_intent_owner' });
    expect(res.json().detail).toContain('Only the owner of intent');
    const refused = await t.container.database.db
      .selectFrom('audit_events')
      .select(['data'])
      .where('event_type', '=', 'request.refused')
      .where('actor', '=', bob.id)
      .execute();
    expect(refused.some((e) => JSON.parse(e.data).reason === 'not_intent_owner')).toBe(true);
  });

  it('edits only drafts (409 naming the state)', async () => {
    const id = (await create(example(sha))).json().id as string;
    for (const status of ['ready', 'submitted', 'approved']) {
      await t.container.database.db
        .updateTable('intents')
        .set({ status })
        .where('id', '=', id)
        .execute();
      const res = await patch(id, { app_version: '25.00' });
      expect(res.statusCode).toBe(409);
      expect(res.json().reason).toBe('intent_not_editable');
      expect(res.json().detail).toContain(`is ${status}`);
    }
  });

  it('honours If-Match: the current revision passes, a stale one is 409', async () => {
    const id = (await create(example(sha))).json().id as string;
    const first = await patch(id, { app_version: '24.09' }, ann, { 'if-match': '"1"' });
    expect(first.statusCode).toBe(200);
    const stale = await patch(id, { app_version: '24.10' }, ann, { 'if-match': '1' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().reason).toBe('revision_mismatch');
    expect(stale.json().detail).toContain('revision 2, not 1');
    expect((await patch(id, { app_version: '24.10' }, ann, { 'if-match': '2' })).statusCode).toBe(
      200,
    );
    expect((await patch(id, { app_version: '24.11' }, ann, { 'if-match': '*' })).statusCode).toBe(
      200,
    );
    const garbage = await patch(id, { app_version: '24.12' }, ann, { 'if-match': 'W/"x"' });
    expect(garbage.statusCode).toBe(400);
    expect(errorPaths(garbage)).toEqual(['header:if-match']);
  });

  it('lets exactly one of concurrent changes based on the same revision win', async () => {
    const id = (await create(example(sha))).json().id as string;
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((v) => patch(id, { app_version: v }, ann, { 'if-match': '1' })),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 409, 409, 409]);
    const stored = await t.call({ method: 'GET', url: `/api/v1/intents/${id}`, as: ann });
    expect(stored.json().revision).toBe(2);
  });

  it('replays a creation with the same Idempotency-Key instead of creating twice', async () => {
    const key = `intent-${randomSha()}`;
    const body = { ...example(sha), app_name: `Idem-${kind}` };
    const first = await create(body, ann, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    const again = await create(body, ann, { 'idempotency-key': key });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const other = await create({ ...body, app_version: '9' }, ann, { 'idempotency-key': key });
    expect(other.statusCode).toBe(422);
    expect(other.json().reason).toBe('idempotency_key_reused');
    const rows = await t.container.database.db
      .selectFrom('intents')
      .select('id')
      .where('app_name', '=', `Idem-${kind}`)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('marks a draft ready once its artifact and evidence are attached, once', async () => {
    const intent = (await create(example(sha))).json();
    const { intents, database } = t.container;
    const ctx = { actorId: ann.id, roles: ann.roles, correlationId: 'ready-test' };

    // No evidence yet: stays a draft.
    await database.transaction((trx) => intents.markReadyIfComplete(trx, ctx, intent.id));
    expect((await intents.get(intent.id)).status).toBe('draft');

    await addEvidence(t, intent.id, sha, ann.id);
    await database.transaction((trx) => intents.markReadyIfComplete(trx, ctx, intent.id));
    await database.transaction((trx) => intents.markReadyIfComplete(trx, ctx, intent.id));
    const ready = await intents.get(intent.id);
    expect(ready).toMatchObject({ status: 'ready', revision: 2 });

    const events = await eventsOf(intent.id);
    expect(events.map((e) => e.event_type)).toEqual(['intent.created', 'intent.ready']);
    expect(JSON.parse(events[1]!.data)).toEqual({
      from: 'draft',
      to: 'ready',
      revision: 2,
      artifact_sha256: sha,
      evidence_count: 1,
    });

    // Ready intents still take evidence; decided ones do not.
    expect(() => intents.assertAcceptsEvidence(ready)).not.toThrow();
    expect(() => intents.assertAcceptsEvidence({ ...ready, status: 'denied' })).toThrow(
      ConflictError,
    );
    await expect(
      database.transaction((trx) => intents.markReadyIfComplete(trx, ctx, 'nope')),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      database.transaction((trx) => intents.getForUpdate(trx, 'nope')),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses, in the store, a write based on a stale revision', async () => {
    const intent = (await create(example(sha))).json();
    const { intents, database } = t.container;
    const current = await intents.get(intent.id);
    await expect(
      database.transaction((trx) =>
        updateIntent(
          trx,
          { ...current, app_version: 'x', revision: 9 },
          { ...current, revision: 5 },
        ),
      ),
    ).rejects.toMatchObject({ reason: 'revision_mismatch' });
    expect((await intents.get(intent.id)).app_version).toBe('24.08');
  });

  it('keeps the audit chain intact', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/audit/verify' });
    expect(res.json()).toMatchObject({ ok: true });
  });
});

/** An evidence row as the intake would write it (blob first: the item references it). */
async function addEvidence(t: TestApp, intentId: string, artifact: string, by: string) {
  const blob = randomSha();
  const now = t.clock.now().toISOString();
  await t.container.database.db
    .insertInto('blobs')
    .values({ sha256: blob, size_bytes: 2, chunk_count: 0, created_at: now })
    .execute();
  await t.container.database.db
    .insertInto('evidence_items')
    .values({
      id: randomSha().slice(0, 32),
      intent_id: intentId,
      kind: 'sbom',
      format: 'cyclonedx',
      spec_version: '1.6',
      stage: null,
      artifact_sha256: artifact,
      blob_sha256: blob,
      size_bytes: 2,
      summary: '{}',
      warnings: '[]',
      created_by: by,
      created_at: now,
    })
    .execute();
}
