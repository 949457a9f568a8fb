import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/cli-io.js';
import { main } from '../src/cli/main.js';
import { dropAppendOnly } from '../src/platform/db/migrations/append-only.js';
import { type CabWorld, cabWorld } from './cab-fixtures.js';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON answers by path, checked by expect.
type Json = Record<string, any>;

/** The decision statement inside the bundle's attestation, decoded. */
function decisionStatement(bundle: Json): Json {
  const payload = Buffer.from(bundle.cab_decision.attestation.payload, 'base64');
  return JSON.parse(payload.toString('utf8'));
}

/** The event types the bundle shows in full for a subject, in chain order. */
function openedEventTypes(bundle: Json, subject: string): string[] {
  return bundle.audit.events
    .filter((e: Json) => !e.redacted && e.subject === subject)
    .map((e: Json) => e.event_type);
}

describe.each(dbKinds)('the CAB decision in the pack bundle on %s', (kind) => {
  let t: TestApp;
  let world: CabWorld;
  let submitter: TestUser;
  let cabMember: TestUser;
  let auditor: TestUser;
  let keyFile: string;
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-cab-bundle-'));

  beforeAll(async () => {
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
    cabMember = await t.user(['cab_member']);
    auditor = await t.user(['auditor']);
    world = await cabWorld(t, await t.user(['security_reviewer']));
    keyFile = join(dir, 'keys.json');
    writeFileSync(keyFile, (await t.call({ method: 'GET', url: '/api/v1/keys', as: null })).body);
  });
  afterAll(async () => {
    world.dispose();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = async (packId: string) => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/cab/submit',
      as: submitter,
      payload: { evidence_pack_id: packId, justification: 'monthly patch' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Json>();
  };
  /** The bundle as served (text, to write out byte for byte) and parsed. */
  const exported = async (packId: string) => {
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${packId}/bundle`,
      as: auditor,
    });
    expect(res.statusCode, res.body).toBe(200);
    return { text: res.body, bundle: JSON.parse(res.body) as Json };
  };
  /** `cabinet verify FILE --key keys.json`, offline: no server, no database in its env. */
  const verifyFile = async (name: string, content: string | Json) => {
    const file = join(dir, `${kind}-${name}`);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: {},
      untilStopped: async () => {},
    };
    const code = await main(['verify', file, '--key', keyFile], io);
    return { code, out: out.join('\n'), lines: out, err: err.join('\n') };
  };

  it('an auto-approved standard change: the bundle carries its attestation, cabinet verify checks it and catches an edit', async () => {
    const { packId, artifactSha256 } = await world.pack(submitter, 'standard');
    const unsubmitted = await exported(packId);
    expect(unsubmitted.bundle.cab_decision).toBeNull();
    const early = await verifyFile('unsubmitted.json', unsubmitted.text);
    expect(early.code, early.out).toBe(0);
    expect(early.out).toMatch(/^ok {3}cab_decision +no CAB request: the pack had not been/m);

    const request = await submit(packId);
    expect(request.status).toBe('auto_approved');
    const { text, bundle } = await exported(packId);
    expect(bundle.cab_decision).toMatchObject({
      request_id: request.id,
      status: 'auto_approved',
      attestation: { payloadType: 'application/vnd.in-toto+json' },
    });
    const statement = decisionStatement(bundle);
    expect(statement.predicateType).toBe('urn:cabinet:cab-decision:v1');
    expect(statement.subject[0].digest.sha256).toBe(artifactSha256);
    expect(statement.predicate).toMatchObject({
      request_id: request.id,
      status: 'auto_approved',
      pack: { id: packId, version: '1.0', digest: bundle.pack.digest },
    });
    // The request's events ship unredacted: its submission and its decision.
    expect(openedEventTypes(bundle, request.id)).toEqual([
      'cab.request.submitted',
      'cab.request.decided',
    ]);

    const verified = await verifyFile('approved.json', text);
    expect(verified.code, verified.out).toBe(0);
    for (const part of ['signature', 'statement', 'subject', 'pack', 'audit']) {
      expect(verified.lines).toContainEqual(
        expect.stringMatching(new RegExp(`^ok {3}cab_decision\\.${part} `)),
      );
    }
    expect(verified.lines.at(-1)).toMatch(new RegExp(`^VERIFIED: pack ${packId} version 1\\.0`));
    const server = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${packId}/verify`,
      as: auditor,
    });
    expect(server.json()).toMatchObject({ ok: true });
    expect(server.json().checks.map((c: Json) => c.part)).toContain('cab_decision.pack');

    const tampered = JSON.parse(text) as Json;
    const attestation = tampered.cab_decision.attestation;
    const payload = Buffer.from(attestation.payload, 'base64').toString('utf8');
    const edited = payload.replace('"status":"auto_approved"', '"status":"approved"');
    expect(edited).not.toBe(payload);
    attestation.payload = Buffer.from(edited, 'utf8').toString('base64');
    const failed = await verifyFile('tampered.json', tampered);
    expect(failed.code).toBe(3);
    expect(failed.out).toMatch(
      /^FAIL cab_decision\.signature +the signature of key [0-9a-f]{64} does not verify over the payload$/m,
    );
    expect(failed.lines.at(-1)).toMatch(/^NOT VERIFIED: .*\(cab_decision\.signature, /);
    // Nothing else in the bundle was touched.
    expect(failed.out).not.toMatch(/^FAIL (format|key|pack|envelope|documents|audit)/m);
  });

  it('a normal change: pending without an attestation, then approved by a CAB member and attested', async () => {
    const { packId } = await world.pack(submitter, 'low_violation');
    const request = await submit(packId);
    expect(request.status).toBe('pending');
    const pending = await exported(packId);
    expect(pending.bundle.cab_decision).toEqual({
      request_id: request.id,
      status: 'pending',
      attestation: null,
    });
    const early = await verifyFile('pending.json', pending.text);
    expect(early.code, early.out).toBe(0);
    expect(early.out).toContain(
      `ok   cab_decision             request ${request.id} is pending: not approved: no decision attestation`,
    );

    const vote = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${request.id}/approve`,
      as: cabMember,
      payload: {},
    });
    expect(vote.statusCode, vote.body).toBe(200);
    expect(vote.json().status).toBe('approved');
    const { text, bundle } = await exported(packId);
    expect(bundle.cab_decision).toMatchObject({ request_id: request.id, status: 'approved' });
    const statement = decisionStatement(bundle);
    expect(statement.predicate).toMatchObject({
      request_id: request.id,
      status: 'approved',
      pack: { id: packId, version: '1.0', digest: bundle.pack.digest },
      votes: [{ reviewer_id: cabMember.id, decision: 'approve' }],
    });
    expect(openedEventTypes(bundle, request.id)).toEqual(
      expect.arrayContaining(['cab.request.submitted', 'cab.vote.cast', 'cab.request.decided']),
    );
    const verified = await verifyFile('voted.json', text);
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toMatch(
      new RegExp(
        `^ok {3}cab_decision\\.audit +cab\\.request\\.decided of request ${request.id}`,
        'm',
      ),
    );
  });

  // Last: it drops the audit log's triggers to edit an event behind the database's back.
  it("an event in the range edited behind the database's back fails verification, even one the bundle would redact", async () => {
    const { packId } = await world.pack(submitter, 'low_violation');
    const request = await submit(packId);
    await t.user(['auditor']); // an unrelated event between the submission and the vote
    const vote = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${request.id}/approve`,
      as: cabMember,
      payload: {},
    });
    expect(vote.statusCode, vote.body).toBe(200);
    const before = await exported(packId);
    const voteEvent = before.bundle.audit.events.find(
      (e: Json) => !e.redacted && e.subject === request.id && e.event_type === 'cab.vote.cast',
    );
    expect(voteEvent).toBeDefined();
    // An unrelated event inside the range: shipped as a hash link only.
    const unrelated = before.bundle.audit.events.find((e: Json) => e.redacted);
    expect(unrelated).toBeDefined();
    expect((await verifyFile('before-edit.json', before.text)).code).toBe(0);

    const db = t.container.database.db;
    await dropAppendOnly(db, t.container.database.dialect, 'audit_events');
    // Moving the vote to another subject would make the exporter redact it; and an edit to an
    // unrelated event is invisible through a hash link alone.
    await sql`update audit_events set subject = ${'someone-else'} where seq = ${voteEvent.seq}`.execute(
      db,
    );
    await sql`update audit_events set actor = ${'user:forged'} where seq = ${unrelated.seq}`.execute(
      db,
    );
    const after = await exported(packId);
    const shipped = (seq: number) => after.bundle.audit.events.find((e: Json) => e.seq === seq);
    expect(shipped(voteEvent.seq)).toMatchObject({ subject: 'someone-else', hash: voteEvent.hash });
    expect(shipped(unrelated.seq)).toMatchObject({ actor: 'user:forged', hash: unrelated.hash });
    const failed = await verifyFile('after-edit.json', after.text);
    expect(failed.code, failed.out).toBe(3);
    for (const seq of [voteEvent.seq, unrelated.seq]) {
      expect(failed.out).toContain(`seq ${seq} does not match its hash: the event was edited`);
    }
    // Events outside any edit still ship redacted.
    expect(after.bundle.audit.events.filter((e: Json) => e.redacted).length).toBe(
      before.bundle.audit.events.filter((e: Json) => e.redacted).length - 1,
    );
  });
});
