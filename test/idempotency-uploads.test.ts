import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { addEvidence, corpusDocument, createIntent, PASSING_LAB_TESTS } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

describe.each(dbKinds)('Idempotency-Key on uploads and pack generation on %s', (kind) => {
  let t: TestApp;
  let ann: TestUser;
  let keyCount = 0;
  const freshKey = () => `key-${kind}-${++keyCount}`;

  beforeAll(async () => {
    t = await startTestApp(kind);
    ann = await t.user(['submitter']);
  });
  afterAll(async () => t.close());

  const evidenceOf = async (intentId: string) =>
    (await t.call({ method: 'GET', url: `/api/v1/intents/${intentId}/evidence`, as: ann })).json<{
      evidence: { id: string }[];
    }>().evidence;

  const auditCount = async (type: string, subject?: string) => {
    let query = t.container.database.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('event_type', '=', type);
    if (subject !== undefined) query = query.where('subject', '=', subject);
    return Number((await query.executeTakeFirstOrThrow()).n);
  };

  describe('evidence uploads', () => {
    it('answers a replay with the first answer and refuses the key with another body or query', async () => {
      const { intentId } = await createIntent(t, ann);
      const headers = { 'idempotency-key': freshKey() };
      const first = await addEvidence(
        t,
        ann,
        intentId,
        'kind=test_results',
        PASSING_LAB_TESTS,
        headers,
      );
      expect(first.statusCode).toBe(201);
      const again = await addEvidence(
        t,
        ann,
        intentId,
        'kind=test_results',
        PASSING_LAB_TESTS,
        headers,
      );
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());

      const otherBody = await addEvidence(
        t,
        ann,
        intentId,
        'kind=test_results',
        PASSING_LAB_TESTS.replace('"passed":5', '"passed":4').replace('"failed":0', '"failed":1'),
        headers,
      );
      expect(otherBody.statusCode).toBe(422);
      expect(otherBody.json()).toMatchObject({ reason: 'idempotency_key_reused' });
      const otherQuery = await addEvidence(
        t,
        ann,
        intentId,
        'kind=test_results&format=cabinet',
        PASSING_LAB_TESTS,
        headers,
      );
      expect(otherQuery.statusCode).toBe(422);
      expect(await evidenceOf(intentId)).toHaveLength(1);
    });

    it('fingerprints the body as sent, compressed or not, without a declared length', async () => {
      const { intentId } = await createIntent(t, ann);
      const headers = { 'idempotency-key': freshKey(), 'content-encoding': 'gzip' };
      const gz = gzipSync(Buffer.from(PASSING_LAB_TESTS));
      const first = await addEvidence(t, ann, intentId, 'kind=test_results', gz, headers);
      expect(first.statusCode).toBe(201);
      const again = await addEvidence(t, ann, intentId, 'kind=test_results', gz, headers);
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual(first.json());
      expect(await evidenceOf(intentId)).toHaveLength(1);
    });

    it('makes one item of concurrent uploads with the same key, all answered alike', async () => {
      const { intentId } = await createIntent(t, ann);
      const headers = { 'idempotency-key': freshKey() };
      const sbom = corpusDocument('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json');
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => addEvidence(t, ann, intentId, 'kind=sbom', sbom, headers)),
      );
      for (const res of answers) {
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().id).toBe(answers[0]!.json().id);
      }
      expect(await evidenceOf(intentId)).toHaveLength(1);
      expect(await auditCount('evidence.added', answers[0]!.json().id)).toBe(1);
    });

    it('frees the key when the first attempt is refused, so the corrected upload goes in', async () => {
      const { intentId } = await createIntent(t, ann);
      const headers = { 'idempotency-key': freshKey() };
      const broken = await addEvidence(t, ann, intentId, 'kind=test_results', '{"stage":', headers);
      expect(broken.statusCode).toBe(422);
      const fixed = await addEvidence(
        t,
        ann,
        intentId,
        'kind=test_results',
        PASSING_LAB_TESTS,
        headers,
      );
      expect(fixed.statusCode).toBe(201);
      expect(await evidenceOf(intentId)).toHaveLength(1);
    });

    it('keeps keys apart per caller', async () => {
      const bob = await t.user(['submitter']);
      const mine = await createIntent(t, ann);
      const theirs = await createIntent(t, bob);
      const headers = { 'idempotency-key': 'shared-name' };
      const a = await addEvidence(
        t,
        ann,
        mine.intentId,
        'kind=test_results',
        PASSING_LAB_TESTS,
        headers,
      );
      const b = await addEvidence(
        t,
        bob,
        theirs.intentId,
        'kind=test_results',
        PASSING_LAB_TESTS,
        headers,
      );
      expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
    });
  });

  describe('artifacts', () => {
    const upload = (bytes: Buffer, key: string, filename = 'tool.exe') =>
      t.call({
        method: 'POST',
        url: `/api/v1/artifacts?filename=${filename}&publisher=Acme`,
        payload: bytes,
        headers: { 'content-type': 'application/octet-stream', 'idempotency-key': key },
        as: ann,
      });

    it('replays an upload (201 again, not 200) and refuses the key with other bytes or metadata', async () => {
      const bytes = randomBytes(64 * 1024);
      const key = freshKey();
      const first = await upload(bytes, key);
      expect(first.statusCode).toBe(201);
      const again = await upload(bytes, key);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect((await upload(randomBytes(1024), key)).statusCode).toBe(422);
      expect((await upload(bytes, key, 'other.exe')).statusCode).toBe(422);
      // Without the key, the same bytes are simply known already.
      const plain = await t.call({
        method: 'POST',
        url: '/api/v1/artifacts?filename=tool.exe&publisher=Acme',
        payload: bytes,
        headers: { 'content-type': 'application/octet-stream' },
        as: ann,
      });
      expect(plain.statusCode).toBe(200);
    });

    it('answers concurrent uploads with the same key alike, with one upload event', async () => {
      const bytes = randomBytes(256 * 1024);
      const key = freshKey();
      const answers = await Promise.all(Array.from({ length: 5 }, () => upload(bytes, key)));
      for (const res of answers) {
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()).toEqual(answers[0]!.json());
      }
      expect(await auditCount('artifact.uploaded', answers[0]!.json().sha256)).toBe(1);
    });

    it('replays a register and refuses the key with another body', async () => {
      const payload = {
        sha256: randomBytes(32).toString('hex'),
        size_bytes: 1234,
        publisher: 'Acme',
        filename: 'elsewhere.msi',
      };
      const headers = { 'idempotency-key': freshKey() };
      const register = (body: typeof payload) =>
        t.call({
          method: 'POST',
          url: '/api/v1/artifacts/register',
          payload: body,
          headers,
          as: ann,
        });
      const answers = await Promise.all([register(payload), register(payload)]);
      for (const res of answers) {
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()).toEqual(answers[0]!.json());
      }
      const again = await register(payload);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const other = await register({ ...payload, filename: 'renamed.msi' });
      expect(other.statusCode).toBe(422);
      expect(await auditCount('artifact.registered', payload.sha256)).toBe(1);
    });
  });

  describe('pack generation', () => {
    it('answers concurrent and later generations with the same key with the first pack', async () => {
      const { intentId } = await createIntent(t, ann);
      const add = async (query: string, body: string | Buffer) =>
        expect((await addEvidence(t, ann, intentId, query, body)).statusCode).toBe(201);
      await add('kind=sbom', corpusDocument('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json'));
      await add('kind=vuln_scan', corpusDocument('scans/trivy', 'alpine-310.json'));
      const headers = { 'idempotency-key': freshKey() };
      const generate = () =>
        t.call({
          method: 'POST',
          url: `/api/v1/intents/${intentId}/evidence-packs`,
          headers,
          as: ann,
        });
      const answers = await Promise.all(Array.from({ length: 4 }, generate));
      for (const res of answers) {
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().id).toBe(answers[0]!.json().id);
      }
      // New evidence would make a new version; the same key still answers the first one.
      await add('kind=test_results', PASSING_LAB_TESTS);
      const later = await generate();
      expect(later.statusCode).toBe(201);
      expect(later.json().id).toBe(answers[0]!.json().id);
      const list = await t.call({
        method: 'GET',
        url: `/api/v1/intents/${intentId}/evidence-packs`,
        as: ann,
      });
      expect(list.json().evidence_packs).toHaveLength(1);
    });
  });
});
