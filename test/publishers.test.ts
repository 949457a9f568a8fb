import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTrustedRoot } from '../src/publishers/trusted-root-fixture.js';
import { dbKinds } from './databases.js';
import { addEvidence, corpusFiles, createIntent, readCorpus } from './intake-fixtures.js';
import { OpensslPki } from './openssl-pki.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/contoso/app/.github/workflows/release.yml@refs/tags/*';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(dbKinds)('trusted publishers on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let auditor: TestUser;
  beforeAll(async () => {
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
    auditor = await t.user(['auditor']);
  });
  afterAll(async () => t.close());

  const post = (payload: object, as?: TestUser) =>
    t.call({ method: 'POST', url: '/api/v1/trusted-publishers', payload, ...(as ? { as } : {}) });
  const events = async (type: string) =>
    (await t.call({ method: 'GET', url: `/api/v1/audit/events?type=${type}&limit=500` })).json()
      .events as { subject: string; actor: string; data: Record<string, unknown> }[];

  it('adds, reads, changes at a revision, and removes a publisher, each change audited', async () => {
    const created = await post({ name: 'Contoso', x509_subject: 'O=Contoso Ltd' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const publisher = created.json();
    expect(publisher).toMatchObject({
      name: 'Contoso',
      x509_subject: 'O=Contoso Ltd',
      sigstore_identity: null,
      revision: 1,
      created_by: t.admin.id,
      removed_at: null,
    });
    const url = `/api/v1/trusted-publishers/${publisher.id}`;
    expect((await t.call({ method: 'GET', url, as: auditor })).json()).toEqual(publisher);
    const listed = await t.call({
      method: 'GET',
      url: '/api/v1/trusted-publishers',
      as: submitter,
    });
    expect(listed.json().trusted_publishers.map((p: { id: string }) => p.id)).toContain(
      publisher.id,
    );

    const patched = await t.call({
      method: 'PATCH',
      url,
      headers: { 'if-match': '"1"' },
      payload: { sigstore_identity: { san: WORKFLOW, issuer: GITHUB } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      revision: 2,
      x509_subject: 'O=Contoso Ltd',
      sigstore_identity: { san: WORKFLOW, issuer: GITHUB },
    });
    const stale = await t.call({
      method: 'PATCH',
      url,
      headers: { 'if-match': '1' },
      payload: { x509_subject: null },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().reason).toBe('revision_mismatch');
    // Clearing the only remaining way to match is refused.
    const cleared = await t.call({ method: 'PATCH', url, payload: { x509_subject: null } });
    expect(cleared.json().revision).toBe(3);
    const empty = await t.call({ method: 'PATCH', url, payload: { sigstore_identity: null } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().errors).toEqual([{ path: '/', message: expect.stringMatching(/neither/) }]);
    // Saying what is already true is no change.
    const same = await t.call({ method: 'PATCH', url, payload: { name: 'Contoso' } });
    expect(same.json().revision).toBe(3);

    const removed = await t.call({ method: 'DELETE', url, headers: { 'if-match': '3' } });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toMatchObject({ revision: 4, removed_by: t.admin.id });
    expect((await t.call({ method: 'DELETE', url })).statusCode).toBe(404);
    expect((await t.call({ method: 'PATCH', url, payload: { name: 'X' } })).statusCode).toBe(404);
    expect((await t.call({ method: 'GET', url })).json().removed_at).not.toBeNull();
    const inForce = (await t.call({ method: 'GET', url: '/api/v1/trusted-publishers' })).json();
    expect(inForce.trusted_publishers.map((p: { id: string }) => p.id)).not.toContain(publisher.id);
    const all = (
      await t.call({ method: 'GET', url: '/api/v1/trusted-publishers?include_removed=true' })
    ).json();
    expect(all.trusted_publishers.map((p: { id: string }) => p.id)).toContain(publisher.id);

    const mine = (type: string) =>
      events(type).then((list) => list.filter((e) => e.subject === publisher.id));
    expect(await mine('trusted_publisher.added')).toEqual([
      expect.objectContaining({
        actor: t.admin.id,
        data: {
          name: 'Contoso',
          x509_subject: 'O=Contoso Ltd',
          sigstore_identity: null,
          revision: 1,
        },
      }),
    ]);
    const updates = (await mine('trusted_publisher.updated')).sort(
      (a, b) => Number(a.data.revision) - Number(b.data.revision),
    );
    expect(updates.map((e) => e.data.revision)).toEqual([2, 3]);
    expect(updates[0]!.data.previous).toMatchObject({ revision: 1, sigstore_identity: null });
    expect((await mine('trusted_publisher.removed')).map((e) => e.data.revision)).toEqual([4]);

    // The name is free again once the publisher is removed.
    expect((await post({ name: 'contoso', x509_subject: 'O=Contoso Ltd' })).statusCode).toBe(201);
  });

  it('refuses a second publisher of the same name, whatever its case', async () => {
    expect((await post({ name: 'Fabrikam', x509_subject: 'O=Fabrikam' })).statusCode).toBe(201);
    const again = await post({ name: 'FABRIKAM', x509_subject: 'O=Fabrikam Inc' });
    expect(again.statusCode).toBe(409);
    expect(again.json().reason).toBe('publisher_exists');
  });

  it('lets one of two concurrent publishers of the same name in, and tells the other why', async () => {
    const answers = await Promise.all(
      ['Northwind', 'northwind', 'NORTHWIND'].map((name) =>
        post({ name, x509_subject: 'O=Northwind Traders' }),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409]);
    for (const a of answers.filter((r) => r.statusCode === 409)) {
      expect(a.json().reason).toBe('publisher_exists');
    }
  });

  it.each([
    [{ name: 'None' }, '/', /neither/],
    [
      {
        name: 'Glob',
        sigstore_identity: { san: 'https://github.com/*/release.yml', issuer: GITHUB },
      },
      '/sigstore_identity/san',
      /only as the last character \(found at offset 19\)/,
    ],
    [
      { name: 'Bare', sigstore_identity: { san: '*', issuer: GITHUB } },
      '/sigstore_identity/san',
      /bare/,
    ],
    [
      { name: 'Iss', sigstore_identity: { san: 'a@b', issuer: 'https://*.example' } },
      '/sigstore_identity/issuer',
      /matched exactly/,
    ],
    [
      { name: 'Dn', x509_subject: 'Contoso Ltd' },
      '/x509_subject',
      /not an RFC 4514 name \(at character 1\)/,
    ],
    [{ name: 'Dn2', x509_subject: 'O=Contoso\\q' }, '/x509_subject', /backslash/],
  ])('refuses %j with a located 400', async (body, path, message) => {
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([{ path, message: expect.stringMatching(message) }]),
    );
  });

  it('refuses server-owned fields, a half identity, and anyone but an admin', async () => {
    expect((await post({ name: 'A', x509_subject: 'O=A', revision: 7 })).statusCode).toBe(400);
    expect((await post({ name: 'A', sigstore_identity: { san: 'x' } })).statusCode).toBe(400);
    const refused = await post({ name: 'A', x509_subject: 'O=A' }, submitter);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().reason).toBe('missing_role');
    const byAuditor = await post({ name: 'A', x509_subject: 'O=A' }, auditor);
    expect(byAuditor.statusCode).toBe(403);
    const refusals = await events('request.refused');
    expect(
      refusals.some(
        (e) => e.actor === submitter.id && e.data.route === '/api/v1/trusted-publishers',
      ),
    ).toBe(true);
  });
});

describe.each(dbKinds)('sigstore roots on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  const root = testTrustedRoot('one.test');
  beforeAll(async () => {
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
  });
  afterAll(async () => t.close());

  const post = (payload: object, as?: TestUser) =>
    t.call({ method: 'POST', url: '/api/v1/sigstore-roots', payload, ...(as ? { as } : {}) });

  it('stores the canonical document with its digest, serves it back and removes it', async () => {
    const created = await post({ name: 'Test instance', trusted_root: root });
    expect(created.statusCode, created.body).toBe(201);
    const stored = created.json();
    expect(stored).toMatchObject({
      name: 'Test instance',
      media_type: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      sha256: sha256(canonicalize(root)!),
      summary: {
        certificate_authorities: [{ uri: 'https://fulcio.one.test', certificates: 1 }],
        tlogs: [{ base_url: 'https://rekor.one.test' }],
      },
      created_by: t.admin.id,
    });
    const one = await t.call({
      method: 'GET',
      url: `/api/v1/sigstore-roots/${stored.id}`,
      as: submitter,
    });
    expect(one.json().trusted_root).toEqual(root);
    expect(await t.container.sigstoreRoots.activeRoots()).toEqual([root]);

    // The same document, formatted otherwise, is the same root.
    const reordered = Object.fromEntries(Object.entries(root).reverse());
    const again = await post({ name: 'Again', trusted_root: reordered });
    expect(again.statusCode).toBe(409);
    expect(again.json().reason).toBe('sigstore_root_exists');

    const removed = await t.call({ method: 'DELETE', url: `/api/v1/sigstore-roots/${stored.id}` });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().removed_by).toBe(t.admin.id);
    expect(await t.container.sigstoreRoots.activeRoots()).toEqual([]);
    const listed = await t.call({ method: 'GET', url: '/api/v1/sigstore-roots' });
    expect(listed.json().sigstore_roots).toEqual([]);
    // Re-adding revives the same record.
    const revived = await post({ name: 'Back', trusted_root: root });
    expect(revived.statusCode).toBe(201);
    expect(revived.json()).toMatchObject({ id: stored.id, name: 'Back', removed_at: null });

    const audit = (await t.call({ method: 'GET', url: '/api/v1/audit/events?limit=500' })).json()
      .events as { seq: number; event_type: string; subject: string; data: { sha256?: string } }[];
    expect(
      audit
        .filter((e) => e.subject === stored.id)
        .sort((a, b) => a.seq - b.seq)
        .map((e) => [e.event_type, e.data.sha256]),
    ).toEqual([
      ['sigstore_root.added', stored.sha256],
      ['sigstore_root.removed', stored.sha256],
      ['sigstore_root.added', stored.sha256],
    ]);
  });

  it('refuses a root that does not parse, or of another media type, with a located 400', async () => {
    const cases: [object, string, RegExp][] = [
      [
        { name: 'x', trusted_root: { ...root, mediaType: 'application/json' } },
        '/trusted_root/mediaType',
        /unsupported media type "application\/json"/,
      ],
      [{ name: 'x', trusted_root: [root] }, '/trusted_root', /must be a JSON object/],
      [
        {
          name: 'x',
          trusted_root: {
            ...root,
            tlogs: [
              {
                ...(root.tlogs as object[])[0],
                publicKey: { rawBytes: 'AAAA', keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
              },
            ],
          },
        },
        '/trusted_root/tlogs/0',
        /@sigstore\/verify cannot use it/,
      ],
      [
        {
          name: 'x',
          trusted_root: {
            ...root,
            tlogs: [
              {
                publicKey: { rawBytes: 'AAAA', keyDetails: 'NOT_A_KEY_TYPE' },
                logId: { keyId: 'AA==' },
              },
            ],
          },
        },
        '/trusted_root/tlogs/0',
        /cannot use it/,
      ],
    ];
    for (const [body, path, message] of cases) {
      const res = await post(body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().reason, res.body).toBe('invalid_trusted_root');
      expect(res.json().errors[0]).toEqual({ path, message: expect.stringMatching(message) });
    }
    // Well-formed, but names no authority: the verifier could never use it.
    const empty = await post({
      name: 'x',
      trusted_root: { ...root, certificateAuthorities: [], timestampAuthorities: [] },
    });
    expect([empty.statusCode, empty.json().reason], empty.body).toEqual([
      400,
      'invalid_trusted_root',
    ]);
    expect(empty.json().errors[0]).toEqual({
      path: '/trusted_root',
      message: expect.stringMatching(/names no certificate authority/),
    });
    const missing = await post({ name: 'x' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].path).toBe('/trusted_root');
    const notJson = await t.call({
      method: 'POST',
      url: '/api/v1/sigstore-roots',
      payload: '{"name":"x","trusted_root":{',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.statusCode).toBe(400);
    expect((await post({ name: 'x', trusted_root: root }, submitter)).statusCode).toBe(403);
  });
});

describe.each(dbKinds)('the artifact_signed rule with publishers on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  const pki = new OpensslPki();
  const corpus = (sub: string, name: string) =>
    readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);
  beforeAll(async () => {
    pki.root('acme');
    pki.leaf('signer', 'acme', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 365);
    t = await startTestApp(kind);
    // The certificates are valid from the real now; the test clock started a moment earlier.
    t.clock.advance(Math.max(0, Date.now() + 1_000 - t.clock.now().getTime()));
    submitter = await t.user(['submitter']);
    const anchor = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'Acme root', pem: pki.pem('acme') },
    });
    expect(anchor.statusCode).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    rmSync(pki.dir, { recursive: true, force: true });
  });

  const preview = async (intentId: string) => {
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/policy-preview`,
      as: submitter,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      violations: { rule_id: string; message: string }[];
      trusted_publisher?: { matched: { name: string } | null; in_force: object[] };
    };
  };
  const signedViolation = (p: Awaited<ReturnType<typeof preview>>) =>
    p.violations.find((v) => v.rule_id === 'artifact_signed');

  it('passes with no publisher, names the signer against a non-matching one, passes once one matches, and the pack records it', async () => {
    const { intentId, artifactSha256 } = await createIntent(t, submitter);
    const add = async (query: string, body: string | Buffer) => {
      const res = await addEvidence(t, submitter, intentId, query, body);
      expect(res.statusCode, res.body).toBe(201);
    };
    await add(
      'kind=signature',
      JSON.stringify({
        signature: pki.sign('signer', artifactSha256),
        certificate_chain: [pki.pem('signer')],
      }),
    );
    const before = await preview(intentId);
    expect(signedViolation(before)).toBeUndefined();
    expect(before).not.toHaveProperty('trusted_publisher');

    const contoso = await t.call({
      method: 'POST',
      url: '/api/v1/trusted-publishers',
      payload: { name: 'Contoso', x509_subject: 'O=Contoso Ltd' },
    });
    expect(contoso.statusCode).toBe(201);
    const refused = await preview(intentId);
    expect(signedViolation(refused)?.message).toBe(
      'The signature verifies, but its signer matches no trusted publisher: ' +
        'saw subject "CN=signer, O=Acme Software"; ' +
        'the subject has O="Acme Software", publisher "Contoso" wants O="Contoso Ltd".',
    );
    expect(refused.trusted_publisher).toEqual({
      in_force: [{ id: contoso.json().id, revision: 1 }],
      matched: null,
    });

    const acme = await t.call({
      method: 'POST',
      url: '/api/v1/trusted-publishers',
      payload: { name: 'Acme Software', x509_subject: 'o=Acme Software' },
    });
    expect(acme.statusCode).toBe(201);
    const passed = await preview(intentId);
    expect(signedViolation(passed)).toBeUndefined();
    expect(passed.trusted_publisher?.matched).toEqual({
      id: acme.json().id,
      name: 'Acme Software',
      revision: 1,
    });

    await add('kind=sbom', corpus('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json'));
    await add('kind=vuln_scan', corpus('scans/trivy', 'alpine-310.json'));
    const pack = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/evidence-packs`,
      as: submitter,
    });
    expect(pack.statusCode, pack.body).toBe(201);
    const { id, body, digest } = pack.json();
    const verified = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${id}/verify`,
      as: submitter,
    });
    expect(verified.json().ok, verified.body).toBe(true);
    expect(body.policy_trusted_publisher).toEqual(passed.trusted_publisher);
    expect(body.policy_violations).not.toHaveProperty('artifact_signed');
    expect(body.artifact_publisher).toBe('Igor Pavlov');
    expect(digest).toBe(sha256(canonicalize(body)!));
  });

  it('names the matched publisher as the artifact_publisher of an artifact recorded without one', async () => {
    const { intentId, artifactSha256 } = await createIntent(t, submitter);
    // No route records an artifact without a publisher today; an import or older row might.
    await t.container.database.db
      .updateTable('artifacts')
      .set({ publisher: '' })
      .where('sha256', '=', artifactSha256)
      .execute();
    for (const [query, document] of [
      [
        'kind=signature',
        JSON.stringify({
          signature: pki.sign('signer', artifactSha256),
          certificate_chain: [pki.pem('signer')],
        }),
      ],
      ['kind=sbom', corpus('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json')],
      ['kind=vuln_scan', corpus('scans/trivy', 'alpine-310.json')],
    ] as const) {
      const res = await addEvidence(t, submitter, intentId, query, document);
      expect(res.statusCode, res.body).toBe(201);
    }
    const pack = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/evidence-packs`,
      as: submitter,
    });
    expect(pack.statusCode, pack.body).toBe(201);
    expect(pack.json().body.artifact_publisher).toBe('Acme Software');
    expect(pack.json().body.policy_trusted_publisher.matched.name).toBe('Acme Software');
  });
});
