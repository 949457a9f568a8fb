import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countByBand } from '../src/cab/cab-store.js';
import { type CabWorld, cabWorld } from './cab-fixtures.js';
import { dbKinds } from './databases.js';
import { addEvidence } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const DAY_MS = 86_400_000;

/** DSSE v1 PAE, written here from the spec, independently of src/. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `),
    body,
  ]);
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON answers by path, checked by expect.
type Json = Record<string, any>;

describe.each(dbKinds)('CAB workflow on %s', (kind) => {
  let t: TestApp;
  let world: CabWorld;
  let sub: TestUser;
  let otherSub: TestUser;
  let cab1: TestUser;
  let cab2: TestUser;
  let cab3: TestUser;
  let cabSec: TestUser;
  let reviewer: TestUser;
  let auditor: TestUser;
  let publicKeyPem: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    sub = await t.user(['submitter']);
    otherSub = await t.user(['submitter']);
    cab1 = await t.user(['cab_member']);
    cab2 = await t.user(['cab_member']);
    cab3 = await t.user(['cab_member']);
    cabSec = await t.user(['cab_member', 'security_reviewer']);
    reviewer = await t.user(['security_reviewer']);
    auditor = await t.user(['auditor']);
    world = await cabWorld(t, reviewer);
    // Webhook messages go to the endpoints registered for the plane, resolved at enqueue.
    const hook = await t.call({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: {
        plane: 'intune',
        url: 'http://127.0.0.1:9/cab-events',
        events: ['deployment.authorized', 'deployment.denied', 'cab.request.superseded'],
      },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    publicKeyPem = (await t.call({ method: 'GET', url: '/api/v1/keys', as: null })).json().keys[0]
      .public_key_pem;
  });
  afterAll(async () => {
    world.dispose();
    await t.close();
  });

  const submit = (packId: string, as: TestUser = sub, extra: Json = {}) =>
    t.call({
      method: 'POST',
      url: '/api/v1/cab/submit/',
      as,
      payload: { evidence_pack_id: packId, justification: 'monthly patch', ...extra },
    });
  const vote = (id: string, as: TestUser, payload: Json = {}) =>
    t.call({ method: 'POST', url: `/api/v1/cab/${id}/approve/`, as, payload });
  const deny = (id: string, as: TestUser, reason = 'rollback plan untested') =>
    t.call({ method: 'POST', url: `/api/v1/cab/${id}/deny/`, as, payload: { reason } });
  const show = async (id: string) =>
    (await t.call({ method: 'GET', url: `/api/v1/cab/${id}/`, as: auditor })).json<Json>();
  const gate = (id: string, ring: string) =>
    t.call({ method: 'GET', url: `/api/v1/cab/${id}/gate?ring=${ring}`, as: auditor });
  const intentStatus = async (id: string) =>
    (await t.call({ method: 'GET', url: `/api/v1/intents/${id}`, as: auditor })).json<Json>()
      .status;
  const outbox = async (subject: string) =>
    (
      await t.call({ method: 'GET', url: `/api/v1/outbox?subject_id=${subject}`, as: auditor })
    ).json<{ messages: Json[] }>().messages;
  const events = async (subject: string) =>
    (
      await t.call({
        method: 'GET',
        url: `/api/v1/audit/events?subject=${subject}&limit=200&order=asc`,
        as: auditor,
      })
    ).json<{ events: Json[] }>().events;
  /** Refusal events, newest last, with their data parsed. */
  const refusals = async () =>
    (
      await t.container.database.db
        .selectFrom('audit_events')
        .select(['actor', 'data'])
        .where('event_type', '=', 'request.refused')
        .orderBy('seq')
        .execute()
    ).map((e) => ({ actor: e.actor, data: JSON.parse(e.data) as Json }));
  const pending = async (profile: Parameters<CabWorld['pack']>[1], extra: Json = {}) => {
    const made = await world.pack(sub, profile);
    const res = await submit(made.packId, sub, extra);
    expect(res.statusCode, res.body).toBe(201);
    return { ...made, request: res.json<Json>() };
  };

  /** Checks an envelope as a deployment plane would: PAE, Ed25519, in-toto statement. */
  function checkAttestation(envelope: Json, artifactSha256: string): Json {
    const payload = Buffer.from(envelope.payload, 'base64');
    const ok = envelope.signatures.some((s: { sig: string }) =>
      verify(
        null,
        pae(envelope.payloadType, payload),
        createPublicKey(publicKeyPem),
        Buffer.from(s.sig, 'base64'),
      ),
    );
    expect(ok).toBe(true);
    const statement = JSON.parse(payload.toString('utf8'));
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('urn:cabinet:cab-decision:v1');
    expect(statement.subject[0].digest.sha256).toBe(artifactSha256);
    return statement.predicate;
  }

  it('auto-approves a standard change at submit: authorised, attested, no CAB mail', async () => {
    const { packId, intentId, artifactSha256, request } = await pending('standard');
    expect(request).toMatchObject({
      status: 'auto_approved',
      change_type: 'standard',
      recommendation: 'LOW',
      violation_count: 0,
      exception_count: 0,
      approvals_required: 0,
      approval_policy_version: '1.0',
      evidence_pack: { id: packId, version: '1.0' },
    });
    expect(Date.parse(request.authorization_expires_at) - Date.parse(request.reviewed_at)).toBe(
      14 * DAY_MS,
    );
    expect(await intentStatus(intentId)).toBe('approved');
    const att = await t.call({
      method: 'GET',
      url: `/api/v1/cab/${request.id}/attestation`,
      as: auditor,
    });
    expect(att.statusCode).toBe(200);
    const predicate = checkAttestation(att.json(), artifactSha256);
    expect(predicate).toMatchObject({
      request_id: request.id,
      intent_id: intentId,
      pack: { id: packId, version: '1.0' },
      status: 'auto_approved',
      change_type: 'standard',
      votes: [],
      approval_policy_version: '1.0',
    });
    const messages = await outbox(request.id);
    expect(messages.map((m) => [m.channel, m.event_type]).sort()).toEqual([
      ['email', 'cab.request.decided'],
      ['webhook', 'deployment.authorized'],
    ]);
    const hook = messages.find((m) => m.channel === 'webhook')!;
    expect(hook).toMatchObject({ plane: 'intune', status: 'pending', attempts: 0 });
    expect(hook.payload.attestation).toEqual(att.json());
    expect(messages.find((m) => m.channel === 'email')!.recipients).toEqual([
      { user_id: sub.id, email: sub.email },
    ]);
    expect((await gate(request.id, 'ring1')).json()).toMatchObject({ allowed: true, reasons: [] });
    expect((await events(request.id)).map((e) => e.event_type)).toEqual([
      'cab.request.submitted',
      'cab.request.decided',
    ]);
  });

  it('queues a normal change, tells the CAB members, and approves it on one vote', async () => {
    const { intentId, artifactSha256, request } = await pending('low_violation');
    expect(request).toMatchObject({
      status: 'pending',
      change_type: 'normal',
      approvals_required: 1,
      security_reviewer_required: false,
      votes_so_far: { approvals: 0, denials: 0, required: 1 },
    });
    expect(await intentStatus(intentId)).toBe('submitted');
    const mail = (await outbox(request.id)).filter((m) => m.event_type === 'cab.request.submitted');
    expect(mail).toHaveLength(1);
    expect(mail[0]!.recipients.map((r: Json) => r.user_id).sort()).toEqual(
      [cab1.id, cab2.id, cab3.id, cabSec.id].sort(),
    );
    expect((await gate(request.id, 'ring0')).json()).toMatchObject({
      allowed: false,
      reasons: [{ code: 'not_decided' }],
    });
    const approved = await vote(request.id, cab1, { notes: 'looks fine' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({
      status: 'approved',
      reviewed_by: cab1.id,
      review_notes: 'looks fine',
      votes: [{ reviewer: cab1.id, reviewer_email: cab1.email, decision: 'approve' }],
      attestation_available: true,
    });
    expect(await intentStatus(intentId)).toBe('approved');
    const predicate = checkAttestation(
      (
        await t.call({ method: 'GET', url: `/api/v1/cab/${request.id}/attestation`, as: auditor })
      ).json(),
      artifactSha256,
    );
    expect(predicate.votes).toEqual([
      expect.objectContaining({
        reviewer_id: cab1.id,
        reviewer_email: cab1.email,
        roles: ['cab_member'],
      }),
    ]);
    const again = await vote(request.id, cab2);
    expect(again.statusCode).toBe(409);
    expect(again.json().reason).toBe('already_decided');
    expect((await gate(request.id, 'ring0')).json()).toMatchObject({ allowed: true });
    expect((await events(request.id)).map((e) => e.event_type)).toEqual([
      'cab.request.submitted',
      'cab.vote.cast',
      'cab.request.decided',
      'request.refused',
    ]);
    expect((await outbox(request.id)).map((m) => m.event_type).sort()).toEqual([
      'cab.request.decided',
      'cab.request.submitted',
      'deployment.authorized',
    ]);
  });

  it('refuses bad submissions with a reason, changing nothing', async () => {
    const { packId, intentId } = await world.pack(sub, 'low_violation');
    expect((await submit('nope')).statusCode).toBe(404);
    const notMine = await submit(packId, otherSub);
    expect([notMine.statusCode, notMine.json().reason]).toEqual([403, 'not_intent_owner']);
    const noRole = await submit(packId, cab1);
    expect([noRole.statusCode, noRole.json().reason]).toEqual([403, 'missing_role']);
    const blank = await submit(packId, sub, { justification: '  ' });
    expect(blank.statusCode).toBe(400);
    const owned = await submit(packId, sub, { status: 'approved' });
    expect(owned.statusCode).toBe(400);
    expect(await intentStatus(intentId)).toBe('ready');
    expect((await submit(packId)).statusCode).toBe(201);
    const twice = await submit(packId);
    expect([twice.statusCode, twice.json().reason]).toEqual([409, 'already_submitted']);
    const reasons = (await refusals()).map((e) => e.data.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(['not_intent_owner', 'missing_role', 'already_submitted']),
    );
  });

  it('keeps separation of duties: no vote on your own submission, audited', async () => {
    const both = await t.user(['submitter', 'cab_member']);
    const made = await world.pack(both, 'low_violation');
    const res = await submit(made.packId, both);
    const id = res.json().id;
    const own = await vote(id, both);
    expect([own.statusCode, own.json().reason]).toEqual([403, 'separation_of_duties']);
    const ownDeny = await deny(id, both);
    expect(ownDeny.statusCode).toBe(403);
    const last = (await refusals()).at(-1)!;
    expect(last.actor).toBe(both.id);
    expect(last.data).toMatchObject({ status: 403, reason: 'separation_of_duties' });
    const noRole = await vote(id, reviewer);
    expect([noRole.statusCode, noRole.json().reason]).toEqual([403, 'missing_role']);
    const detail = await show(id);
    expect(detail).toMatchObject({ status: 'pending', votes: [] });
    expect(
      detail.audit_events
        .filter((e: Json) => e.event_type === 'request.refused')
        .map((e: Json) => [e.actor, e.data.reason]),
    ).toEqual([
      [both.id, 'separation_of_duties'],
      [both.id, 'separation_of_duties'],
      [reviewer.id, 'missing_role'],
    ]);
  });

  it('vetoes on any deny, with a required reason', async () => {
    const { intentId, request } = await pending('high');
    expect(request).toMatchObject({ recommendation: 'HIGH', approvals_required: 2 });
    expect((await vote(request.id, cab1)).json()).toMatchObject({
      status: 'pending',
      votes_so_far: { approvals: 1 },
    });
    const noReason = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${request.id}/deny`,
      as: cab2,
      payload: {},
    });
    expect(noReason.statusCode).toBe(400);
    const twice = await vote(request.id, cab1);
    expect([twice.statusCode, twice.json().reason]).toEqual([409, 'already_voted']);
    const denied = await deny(request.id, cab2);
    expect(denied.json()).toMatchObject({
      status: 'denied',
      review_notes: 'rollback plan untested',
      attestation_available: false,
    });
    expect(await intentStatus(intentId)).toBe('denied');
    const late = await vote(request.id, cab3);
    expect([late.statusCode, late.json().reason]).toEqual([409, 'already_decided']);
    const g = (await gate(request.id, 'ring0')).json();
    expect(g).toMatchObject({ allowed: false, reasons: [{ code: 'denied' }] });
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/cab/${request.id}/attestation`, as: auditor }))
        .statusCode,
    ).toBe(404);
    const hooks = (await outbox(request.id)).filter((m) => m.channel === 'webhook');
    expect(hooks.map((h) => h.event_type)).toEqual(['deployment.denied']);
    const mail = (await outbox(request.id)).find((m) => m.event_type === 'cab.request.decided')!;
    expect(mail.payload.reason).toBe('rollback plan untested');
  });

  it('needs two approvals for HIGH', async () => {
    const { request } = await pending('high');
    expect((await vote(request.id, cab1)).json().status).toBe('pending');
    expect((await vote(request.id, cab2)).json().status).toBe('approved');
  });

  it('answers a vote with the summary row under Prefer: return=minimal (RFC 7240)', async () => {
    const { request } = await pending('high');
    const minimal = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${request.id}/approve/`,
      as: cab1,
      headers: { prefer: 'respond-async, return=minimal' },
      payload: {},
    });
    expect(minimal.statusCode, minimal.body).toBe(200);
    expect(minimal.headers['preference-applied']).toBe('return=minimal');
    expect(minimal.headers.vary).toContain('Prefer');
    const row = minimal.json<Json>();
    expect(row).toMatchObject({
      id: request.id,
      status: 'pending',
      votes_so_far: { approvals: 1, required: 2 },
    });
    // The queue's row exactly, none of the full view's parts.
    const listed = (
      await t.call({
        method: 'GET',
        url: `/api/v1/cab/requests?intent_id=${request.deployment_intent}`,
        as: auditor,
      })
    ).json<Json>().requests[0];
    expect(row).toEqual(listed);
    for (const part of ['votes', 'pack_summary', 'risk', 'audit_events']) {
      expect(row).not.toHaveProperty(part);
    }
    // Without the preference (or with another), the request whole.
    const whole = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${request.id}/approve/`,
      as: cab2,
      headers: { prefer: 'return=representation' },
      payload: {},
    });
    expect(whole.headers['preference-applied']).toBeUndefined();
    expect(whole.json()).toMatchObject({ status: 'approved', votes: [{}, {}] });
    expect(whole.json().pack_summary).toBeDefined();
  });

  it('needs a security reviewer among two approvals for CRITICAL', async () => {
    const { request } = await pending('critical');
    expect(request).toMatchObject({
      recommendation: 'CRITICAL',
      approvals_required: 2,
      security_reviewer_required: true,
    });
    expect((await vote(request.id, cab1)).json().status).toBe('pending');
    expect((await vote(request.id, cab2)).json()).toMatchObject({
      status: 'pending',
      votes_so_far: { approvals: 2 },
    });
    const done = (await vote(request.id, cabSec)).json();
    expect(done).toMatchObject({ status: 'approved', reviewed_by: cabSec.id });
    expect(done.votes).toHaveLength(3);
  });

  it('takes the emergency path: one approval, then a post-implementation review', async () => {
    const { request } = await pending('critical', { emergency: true });
    expect(request).toMatchObject({
      change_type: 'emergency',
      approvals_required: 1,
      security_reviewer_required: false,
    });
    const approved = (await vote(request.id, cab1)).json();
    expect(approved.status).toBe('approved');
    expect(Date.parse(approved.post_review_due_at) - Date.parse(approved.reviewed_at)).toBe(
      5 * DAY_MS,
    );
    const post = (as: TestUser) =>
      t.call({
        method: 'POST',
        url: `/api/v1/cab/${request.id}/post-review`,
        as,
        payload: { notes: 'went fine', outcome: 'successful' },
      });
    expect((await post(sub)).statusCode).toBe(403);
    const ok = await post(cab2);
    expect(ok.json().post_review).toMatchObject({ reviewer: cab2.id, outcome: 'successful' });
    const again = await post(cab3);
    expect([again.statusCode, again.json().reason]).toEqual([409, 'post_review_recorded']);
    const normal = await pending('low_violation');
    await vote(normal.request.id, cab1);
    const na = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${normal.request.id}/post-review`,
      as: cab2,
      payload: { notes: 'x', outcome: 'issues' },
    });
    expect([na.statusCode, na.json().reason]).toEqual([409, 'post_review_not_applicable']);
  });

  it('approves with conditions that block rings until a CAB member verifies them', async () => {
    const { request } = await pending('low_violation');
    const badRing = await vote(request.id, cab1, {
      conditions: [{ text: 'x', before_ring: 'ring9' }],
    });
    expect([badRing.statusCode, badRing.json().reason]).toEqual([422, 'invalid_condition']);
    expect(badRing.json().errors[0].path).toBe('/conditions/0/before_ring');
    const past = await vote(request.id, cab1, {
      conditions: [{ text: 'x', due_at: new Date(t.clock.now().getTime() - 1000).toISOString() }],
    });
    expect([past.statusCode, past.json().errors[0].path]).toEqual([422, '/conditions/0/due_at']);
    const shape = await vote(request.id, cab1, { conditions: [{ txt: 'x' }] });
    expect(shape.statusCode).toBe(400);
    expect((await show(request.id)).votes).toEqual([]);
    const res = await vote(request.id, cab1, {
      conditions: [
        { text: 'Pilot feedback reviewed', blocks_rollout: true, before_ring: 'ring1' },
        { text: 'Notify the service desk' },
      ],
    });
    expect(res.json()).toMatchObject({
      status: 'approved_with_conditions',
      approval_conditions: [
        { id: 'c1', blocks_rollout: true, before_ring: 'ring1', verified: false },
        { id: 'c2', blocks_rollout: false, before_ring: null, verified: false },
      ],
    });
    expect((await gate(request.id, 'ring0')).json()).toMatchObject({ allowed: true });
    const blocked = (await gate(request.id, 'ring1')).json();
    expect(blocked).toMatchObject({ allowed: false, reasons: [{ code: 'condition_unverified' }] });
    const unknown = await gate(request.id, 'ring7');
    expect([unknown.statusCode, unknown.json().reason]).toEqual([422, 'unknown_ring']);
    const verifyAs = (as: TestUser, cid = 'c1') =>
      t.call({
        method: 'POST',
        url: `/api/v1/cab/${request.id}/conditions/${cid}/verify`,
        as,
        payload: { notes: 'pilot ok' },
      });
    expect((await verifyAs(sub)).statusCode).toBe(403);
    expect((await verifyAs(cab2, 'c9')).statusCode).toBe(404);
    const verified = await verifyAs(cab2);
    expect(verified.json().approval_conditions[0]).toMatchObject({
      verified: true,
      verified_by: cab2.id,
    });
    expect((await verifyAs(cab3)).json().reason).toBe('condition_already_verified');
    expect((await gate(request.id, 'ring1')).json()).toMatchObject({ allowed: true, reasons: [] });
  });

  it('closes the authorisation window after 14 days', async () => {
    const { request } = await pending('standard');
    t.clock.advance(14 * DAY_MS + 1);
    expect((await gate(request.id, 'ring0')).json()).toMatchObject({
      allowed: false,
      reasons: [{ code: 'authorization_expired' }],
    });
  });

  it('supersedes the open request on a new pack version; votes never carry over', async () => {
    const { intentId, packId, request } = await pending('high');
    await vote(request.id, cab1);
    const same = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/evidence-packs`,
      as: sub,
    });
    expect([same.statusCode, same.json().id]).toEqual([200, packId]);
    expect((await show(request.id)).status).toBe('pending');
    await addEvidence(
      t,
      sub,
      intentId,
      'kind=test_results',
      JSON.stringify({
        stage: 'lab',
        total: 3,
        passed: 3,
        failed: 0,
        skipped: 0,
        coverage_percent: 80,
      }),
    );
    const next = await world.generate(intentId, sub);
    expect(next.version).toBe('1.1');
    const old = await show(request.id);
    expect(old).toMatchObject({ status: 'superseded', superseded_by: next.id });
    expect(await intentStatus(intentId)).toBe('ready');
    const late = await vote(request.id, cab2);
    expect([late.statusCode, late.json().reason]).toEqual([409, 'request_superseded']);
    const stale = await submit(packId);
    expect([stale.statusCode, stale.json().reason]).toEqual([409, 'pack_not_latest']);
    const fresh = await submit(next.id);
    expect(fresh.json()).toMatchObject({ status: 'pending', votes_so_far: { approvals: 0 } });
    const hooks = (await outbox(request.id)).filter((m) => m.channel === 'webhook');
    expect(hooks.map((h) => h.event_type)).toEqual(['cab.request.superseded']);
    expect((await gate(request.id, 'ring0')).json().reasons.map((r: Json) => r.code)).toEqual([
      'superseded',
    ]);
    const detail = await show(fresh.json().id);
    expect(detail.diff).not.toBeNull();
    expect(detail.evidence_pack.version).toBe('1.1');
  });

  it('returns the existing pack for unchanged evidence, build time and all, even 20 at once', async () => {
    const bytes = Buffer.from(`artifact ${Math.random()}`);
    const built = new Date(t.clock.now().getTime() - 10 * DAY_MS).toISOString();
    const uploaded = await t.call({
      method: 'POST',
      url: `/api/v1/artifacts?filename=a.exe&publisher=Acme&build_time=${built}`,
      payload: bytes,
      headers: { 'content-type': 'application/octet-stream' },
      as: sub,
    });
    expect(uploaded.statusCode, uploaded.body).toBeLessThan(300);
    const sha = uploaded.json().sha256 as string;
    const { exampleIntent, corpusFiles, readCorpus } = await import('./intake-fixtures.js');
    const intent = await t.call({
      method: 'POST',
      url: '/api/v1/intents',
      as: sub,
      payload: exampleIntent(sha),
    });
    const intentId = intent.json().id as string;
    const corpusDoc = (sub: string, name: string) =>
      readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);
    await addEvidence(
      t,
      sub,
      intentId,
      'kind=sbom',
      corpusDoc('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json'),
    );
    await addEvidence(
      t,
      sub,
      intentId,
      'kind=vuln_scan',
      corpusDoc('scans/trivy', 'alpine-310.json'),
    );
    const first = await world.generate(intentId, sub);
    t.clock.advance(3_600_000);
    const generate = () =>
      t.call({ method: 'POST', url: `/api/v1/intents/${intentId}/evidence-packs`, as: sub });
    const again = await generate();
    expect([again.statusCode, again.json().id]).toEqual([200, first.id]);
    const request = (await submit(first.id)).json();
    t.clock.advance(2 * DAY_MS);
    const many = await Promise.all(Array.from({ length: 20 }, generate));
    expect(many.every((r) => r.statusCode === 200 && r.json().id === first.id)).toBe(true);
    expect((await show(request.id)).status).toBe('pending');
    const packs = await t.call({
      method: 'GET',
      url: `/api/v1/intents/${intentId}/evidence-packs`,
      as: sub,
    });
    expect(packs.json().evidence_packs).toHaveLength(1);
  });

  it('marks pending requests stale when an exception they relied on is revoked', async () => {
    const { request, artifactSha256 } = await pending('excepted');
    expect(request).toMatchObject({ change_type: 'normal', exception_count: 1 });
    const exceptionId = request.exception_ids[0];
    const detail = await show(request.id);
    expect(detail.exceptions[0]).toMatchObject({
      id: exceptionId,
      status: 'approved',
      days_until_expiry: 30,
    });
    const revoked = await t.call({
      method: 'POST',
      url: `/api/v1/exceptions/${exceptionId}/revoke`,
      as: reviewer,
      payload: { reason: 'EDR rule removed' },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const after = await show(request.id);
    expect(after.stale).toBe(true);
    expect(after.stale_reasons).toEqual([
      expect.objectContaining({ code: 'exception_revoked', exception_id: exceptionId }),
    ]);
    const refused = await vote(request.id, cab1);
    expect([refused.statusCode, refused.json().reason]).toEqual([409, 'evidence_stale']);
    expect((await gate(request.id, 'ring0')).json().reasons.map((r: Json) => r.code)).toEqual([
      'evidence_stale',
      'exception_inactive',
    ]);
    const told = (await outbox(request.id)).filter((m) => m.event_type === 'cab.request.stale');
    expect(told).toHaveLength(1);
    expect(told[0]!.recipients).toContainEqual({ user_id: cab1.id, email: cab1.email });
    expect(told[0]!.recipients.map((r: Json) => r.user_id)).not.toContain(sub.id);
    void artifactSha256;
  });

  it('marks pending requests stale when an exception expires (sweep), and gates an approval on it', async () => {
    const made = await world.pack(sub, 'low_violation');
    void made;
    const excepted = await pending('excepted');
    // A second exception that expires in an hour, applied to a new pack version.
    const soon = await world.exception(
      sub,
      reviewer,
      excepted.artifactSha256,
      ['CVE-2019-18224|libidn2-0|2.0.5-1'],
      new Date(t.clock.now().getTime() + 3_600_000),
    );
    const next = await world.generate(excepted.intentId, sub);
    const req = (await submit(next.id)).json();
    expect(req.exception_ids).toContain(soon);
    t.clock.advance(3_600_001);
    expect((await vote(req.id, cab1)).json().reason).toBe('evidence_stale');
    await t.container.exceptions.expireDue();
    const after = await show(req.id);
    expect(after.stale_reasons).toEqual([
      expect.objectContaining({ code: 'exception_expired', exception_id: soon }),
    ]);
    expect((await events(req.id)).map((e) => e.event_type)).toContain('cab.request.stale');
  });

  it('lists the queue with filters, sorts, band counts and a keyset cursor', async () => {
    const q = async (query: string) => {
      const res = await t.call({
        method: 'GET',
        url: `/api/v1/cab/pending/?${query}`,
        as: auditor,
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{
        requests: Json[];
        next_cursor: string | null;
        counts_by_band: Record<string, number>;
        counts_over_cap: string[];
      }>();
    };
    const all = await q('limit=200');
    expect(all.counts_over_cap).toEqual([]);
    expect(all.requests.every((r) => r.status === 'pending')).toBe(true);
    const total = all.requests.length;
    expect(total).toBeGreaterThan(2);
    expect(Object.values(all.counts_by_band).reduce((a, b) => a + b, 0)).toBe(total);
    // Each band is counted up to the cap: at it, a band has at least that many.
    const [band, inBand] = Object.entries(all.counts_by_band).sort((a, b) => b[1] - a[1])[0]!;
    expect(inBand).toBeGreaterThan(1);
    const db = t.container.database.db;
    const capped = await countByBand(db, ['pending'], inBand - 1);
    expect(capped.counts[band]).toBe(inBand - 1);
    expect(capped.over).toContain(band);
    expect(await countByBand(db, ['pending'], inBand)).toEqual({
      counts: all.counts_by_band,
      over: [],
    });
    const bySubmitted = all.requests.map((r) => r.submitted_at);
    expect([...bySubmitted].sort().reverse()).toEqual(bySubmitted);
    const byScore = (await q('sort=risk_score&limit=200')).requests.map((r) => r.risk_score);
    expect([...byScore].sort((a, b) => a - b)).toEqual(byScore);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await q(`sort=-risk_score&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.counts_by_band === null).toBe(cursor !== null);
      expect(page.counts_over_cap === null).toBe(cursor !== null);
      seen.push(...page.requests.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(total);
    expect(
      (await q('recommendation=HIGH')).requests.every((r) => r.recommendation === 'HIGH'),
    ).toBe(true);
    expect((await q('plane=jamf')).requests).toEqual([]);
    expect((await q(`submitted_by=${otherSub.id}`)).requests).toEqual([]);
    expect(
      (await q('change_type=emergency')).requests.every((r) => r.change_type === 'emergency'),
    ).toBe(true);
    const bad = await t.call({ method: 'GET', url: '/api/v1/cab/pending?cursor=zzz', as: auditor });
    expect([bad.statusCode, bad.json().reason]).toEqual([400, 'invalid_cursor']);
    const row = all.requests[0]!;
    expect(row).toMatchObject({
      app_name: '7-Zip',
      plane: 'intune',
      submitted_by: sub.id,
      submitted_by_email: sub.email,
      finding_counts: expect.any(Object),
      votes_so_far: expect.any(Object),
    });
    const every = await t.call({
      method: 'GET',
      url: '/api/v1/cab/requests?status=denied',
      as: auditor,
    });
    expect(every.json().requests.length).toBeGreaterThan(0);
    expect(every.json().requests.every((r: Json) => r.status === 'denied')).toBe(true);
  });

  it('shows a request whole: pack summary, risk, policy, audit events', async () => {
    const { request } = await pending('caution');
    // The submit answer names the submitter as every later read does.
    expect(request.submitted_by_email).toBe(sub.email);
    await t.call({
      method: 'POST',
      url: `/api/v1/cab/${request.id}/comments`,
      as: cab1,
      payload: { text: 'why no signature?' },
    });
    const noAuditor = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${request.id}/comments`,
      as: auditor,
      payload: { text: 'x' },
    });
    expect(noAuditor.statusCode).toBe(403);
    const detail = await show(request.id);
    expect(detail).toMatchObject({
      recommendation: 'CAUTION',
      submitted_by: sub.id,
      submitted_by_email: sub.email,
      comments: [{ author: cab1.id, text: 'why no signature?' }],
      pack_summary: {
        artifact: { sha256: detail.artifact_sha256 },
        signature: { present: false },
        sbom: { format: 'cyclonedx' },
      },
      risk: { model_version: '1.0' },
      policy: { approved: false },
      diff: null,
    });
    expect(Object.keys(detail.risk.factors)).toHaveLength(7);
    expect(detail.audit_events.map((e: Json) => e.event_type)).toEqual([
      'cab.request.submitted',
      'cab.comment.added',
      'request.refused',
    ]);
    expect((await t.call({ method: 'GET', url: '/api/v1/cab/nope', as: auditor })).statusCode).toBe(
      404,
    );
  });

  it('puts a new approval policy in force for later submissions only', async () => {
    const before = await pending('low_violation');
    const bad = await t.call({
      method: 'POST',
      url: '/api/v1/approval-policies',
      payload: { version: '1.1', bands: {} },
    });
    expect(bad.statusCode).toBe(400);
    const policy = {
      version: '1.1',
      bands: {
        LOW: { approvals: 2 },
        MODERATE: { approvals: 2 },
        CAUTION: { approvals: 2 },
        HIGH: { approvals: 3 },
        CRITICAL: { approvals: 3, security_reviewer_required: true },
      },
      emergency: { approvals: 1 },
    };
    const noAdmin = await t.call({
      method: 'POST',
      url: '/api/v1/approval-policies',
      as: cab1,
      payload: policy,
    });
    expect(noAdmin.statusCode).toBe(403);
    expect(
      (await t.call({ method: 'POST', url: '/api/v1/approval-policies', payload: policy }))
        .statusCode,
    ).toBe(201);
    const older = await t.call({
      method: 'POST',
      url: '/api/v1/approval-policies',
      payload: { ...policy, version: '1.0' },
    });
    expect([older.statusCode, older.json().reason]).toEqual([409, 'version_not_newer']);
    const list = (
      await t.call({ method: 'GET', url: '/api/v1/approval-policies', as: auditor })
    ).json();
    expect(list.current).toBe('1.1');
    const after = await pending('low_violation');
    expect(after.request).toMatchObject({ approval_policy_version: '1.1', approvals_required: 2 });
    expect((await vote(before.request.id, cab1)).json().status).toBe('approved');
    expect((await vote(after.request.id, cab1)).json().status).toBe('pending');
    expect((await vote(after.request.id, cab2)).json().status).toBe('approved');
    await t.call({
      method: 'POST',
      url: '/api/v1/approval-policies',
      payload: {
        ...policy,
        version: '1.2',
        bands: { ...policy.bands, LOW: { approvals: 1 }, CAUTION: { approvals: 1 } },
      },
    });
  });

  it('lets exactly one of 100 concurrent approvals decide a quorum-1 request', async () => {
    const members = await Promise.all(Array.from({ length: 100 }, () => t.user(['cab_member'])));
    const { request } = await pending('low_violation');
    const results = await Promise.all(members.map((m) => vote(request.id, m)));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(99);
    expect(
      results
        .filter((r) => r.statusCode === 409)
        .every((r) => r.json().reason === 'already_decided'),
    ).toBe(true);
    const evs = await events(request.id);
    expect(evs.filter((e) => e.event_type === 'cab.request.decided')).toHaveLength(1);
    expect(evs.filter((e) => e.event_type === 'cab.vote.cast')).toHaveLength(1);
    expect((await show(request.id)).votes).toHaveLength(1);
  });

  it('keeps votes and decisions append-only in the database', async () => {
    const { request } = await pending('standard');
    await expect(
      t.container.database.db
        .updateTable('cab_decisions')
        .set({ status: 'denied' })
        .where('request_id', '=', request.id)
        .execute(),
    ).rejects.toThrow(/append-only/);
    await expect(t.container.database.db.deleteFrom('cab_votes').execute()).rejects.toThrow(
      /append-only/,
    );
  });

  it('lists the outbox for admins and auditors only', async () => {
    expect(
      (await t.call({ method: 'GET', url: '/api/v1/outbox?status=pending&channel=webhook' }))
        .statusCode,
    ).toBe(200);
    expect((await t.call({ method: 'GET', url: '/api/v1/outbox', as: sub })).statusCode).toBe(403);
    const page = (
      await t.call({ method: 'GET', url: '/api/v1/outbox?limit=1', as: auditor })
    ).json<{ messages: Json[]; next_cursor: string }>();
    expect(page.messages).toHaveLength(1);
    const next = (
      await t.call({
        method: 'GET',
        url: `/api/v1/outbox?limit=1&cursor=${page.next_cursor}`,
        as: auditor,
      })
    ).json<{ messages: Json[] }>();
    expect(next.messages[0]!.id > page.messages[0]!.id).toBe(true);
    expect(
      (await t.call({ method: 'GET', url: '/api/v1/outbox?status=dead', as: auditor })).json()
        .messages,
    ).toEqual([]);
    expect(
      (await t.call({ method: 'GET', url: '/api/v1/approval-policies/9.9', as: auditor }))
        .statusCode,
    ).toBe(404);
    const exc = (
      await t.call({
        method: 'GET',
        url: '/api/v1/outbox?event_type=exception.requested',
        as: auditor,
      })
    ).json().messages;
    expect(exc.length).toBeGreaterThan(0);
    expect(exc[0].recipients.map((r: Json) => r.user_id)).toContain(reviewer.id);
  });
});
