import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { addEvidence, corpusDocument, createIntent, PASSING_LAB_TESTS } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

describe.each(dbKinds)('intent ownership on %s', (kind) => {
  let t: TestApp;
  let ann: TestUser;
  let bob: TestUser;
  let reviewer: TestUser;

  beforeAll(async () => {
    t = await startTestApp(kind);
    ann = await t.user(['submitter']);
    bob = await t.user(['submitter']);
    reviewer = await t.user(['security_reviewer']);
  });
  afterAll(async () => t.close());

  const generate = (intentId: string, as: TestUser) =>
    t.call({ method: 'POST', url: `/api/v1/intents/${intentId}/evidence-packs`, as });
  const submit = (packId: string, as: TestUser) =>
    t.call({
      method: 'POST',
      url: '/api/v1/cab/submit/',
      as,
      payload: { evidence_pack_id: packId, justification: 'monthly patch' },
    });
  const requestException = (artifactSha256: string, as: TestUser) =>
    t.call({
      method: 'POST',
      url: '/api/v1/exceptions',
      as,
      payload: {
        exception_type: 'vuln_critical',
        scope: { artifact_sha256: artifactSha256, finding_ids: ['CVE-2024-3094|xz|5.6.0'] },
        description: 'the affected path is not shipped in this package',
        compensating_controls: 'EDR rule alerts on load',
        expires_at: new Date(t.clock.now().getTime() + 7 * 86_400_000).toISOString(),
      },
    });
  const transfer = (intentId: string, userId: string, as: TestUser = t.admin) =>
    t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/owner`,
      as,
      payload: { user_id: userId },
    });
  const expectNotOwner = (res: { statusCode: number; body: string; json(): unknown }) => {
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).toMatchObject({ reason: 'not_intent_owner' });
  };

  /** An intent of `owner` with enough evidence for a pack, and its first pack. */
  async function packed(owner: TestUser) {
    const { intentId, artifactSha256 } = await createIntent(t, owner);
    const add = async (query: string, body: string | Buffer) =>
      expect((await addEvidence(t, owner, intentId, query, body)).statusCode).toBe(201);
    await add('kind=sbom', corpusDocument('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json'));
    await add('kind=vuln_scan', corpusDocument('scans/trivy', 'alpine-310.json'));
    const pack = await generate(intentId, owner);
    expect(pack.statusCode, pack.body).toBe(201);
    return { intentId, artifactSha256, packId: pack.json<{ id: string }>().id };
  }

  it('lets only the owner attach evidence, generate packs, request exceptions and submit', async () => {
    const { intentId, artifactSha256, packId } = await packed(ann);
    expectNotOwner(await addEvidence(t, bob, intentId, 'kind=test_results', PASSING_LAB_TESTS));
    expectNotOwner(await generate(intentId, bob));
    expectNotOwner(await requestException(artifactSha256, bob));
    expectNotOwner(await submit(packId, bob));
    expectNotOwner(
      await t.call({
        method: 'PATCH',
        url: `/api/v1/intents/${intentId}`,
        as: bob,
        payload: { justification: 'mine now' },
      }),
    );
    // Nothing of bob's went in; the owner herself is not refused.
    const evidence = await t.call({ method: 'GET', url: `/api/v1/intents/${intentId}/evidence` });
    expect(evidence.json().evidence).toHaveLength(2);
    expect((await requestException(artifactSha256, ann)).statusCode).toBe(201);
    expect((await submit(packId, ann)).statusCode).toBe(201);
  });

  it('refuses a stranger before reading the upload, and answers 404 for an unknown intent', async () => {
    const { intentId } = await createIntent(t, ann);
    const res = await addEvidence(
      t,
      bob,
      intentId,
      'kind=test_results',
      PASSING_LAB_TESTS,
      // A key is not claimed by a refused request: the owner may use it afterwards.
      { 'idempotency-key': 'same-key' },
    );
    expectNotOwner(res);
    expect(
      (await addEvidence(t, bob, 'nope', 'kind=test_results', PASSING_LAB_TESTS)).statusCode,
    ).toBe(404);
    expect((await generate('nope', bob)).statusCode).toBe(404);
  });

  it('lets an admin transfer ownership, audited, after which the new owner acts', async () => {
    const { intentId, artifactSha256 } = await createIntent(t, ann);
    const moved = await transfer(intentId, bob.id);
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ id: intentId, created_by: bob.id, revision: 2 });
    expect(moved.headers.etag).toBe('"2"');

    expect(
      (await addEvidence(t, bob, intentId, 'kind=test_results', PASSING_LAB_TESTS)).statusCode,
    ).toBe(201);
    expectNotOwner(await addEvidence(t, ann, intentId, 'kind=test_results', PASSING_LAB_TESTS));
    expect((await requestException(artifactSha256, bob)).statusCode).toBe(201);

    const events = await t.container.database.db
      .selectFrom('audit_events')
      .select(['actor', 'data'])
      .where('event_type', '=', 'intent.owner.transferred')
      .where('subject', '=', intentId)
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.actor).toBe(t.admin.id);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ from: ann.id, to: bob.id });
  });

  it('lets only an admin transfer, and only to an enabled submitter', async () => {
    const { intentId } = await createIntent(t, ann);
    const self = await transfer(intentId, bob.id, ann);
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ reason: 'missing_role' });
    const notSubmitter = await transfer(intentId, reviewer.id);
    expect(notSubmitter.statusCode).toBe(422);
    expect(notSubmitter.json()).toMatchObject({ reason: 'owner_not_submitter' });
    expect((await transfer(intentId, 'nobody')).statusCode).toBe(404);
    expect((await transfer('nope', bob.id)).statusCode).toBe(404);
    const intent = await t.call({ method: 'GET', url: `/api/v1/intents/${intentId}` });
    expect(intent.json()).toMatchObject({ created_by: ann.id, revision: 1 });
  });
});
