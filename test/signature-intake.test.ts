import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { addEvidence, createIntent } from './intake-fixtures.js';
import { OpensslPki } from './openssl-pki.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

describe.each(dbKinds)('signature evidence on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  const pki = new OpensslPki();
  beforeAll(async () => {
    pki.root('acme');
    pki.root('rogue');
    pki.leaf('ec-signer', 'acme', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 365);
    pki.leaf('rsa-signer', 'acme', ['rsa:2048'], 365);
    pki.leaf('ed-signer', 'acme', ['ed25519'], 365);
    pki.leaf('short-lived', 'acme', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 1);
    pki.leaf('rogue-signer', 'rogue', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 365);
    pki.leaf(
      'tls-server',
      'acme',
      ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      365,
      'serverAuth',
    );
    t = await startTestApp(kind);
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

  const upload = (intentId: string, body: object) =>
    addEvidence(t, submitter, intentId, 'kind=signature', JSON.stringify(body), {
      'content-type': 'application/json',
    });

  it.each([
    ['ec-signer', false, /^ECDSA-P256-SHA256$/],
    ['rsa-signer', false, /^RSASSA-PKCS1-v1_5-SHA256$/],
    ['ed-signer', true, /^Ed25519$/],
  ])('verifies a %s signature made with openssl', async (signer, ed, algorithm) => {
    const { intentId, artifactSha256 } = await createIntent(t, submitter);
    const res = await upload(intentId, {
      signature: pki.sign(signer, artifactSha256, ed),
      certificate_chain: [pki.pem(signer)],
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      kind: 'signature',
      format: 'x509',
      artifact_sha256: artifactSha256,
      summary: {
        method: 'x509',
        signer_subject: expect.stringContaining(`CN=${signer}`),
        issuer: expect.stringContaining('CN=acme Root CA'),
        algorithm: expect.stringMatching(algorithm),
        chain_valid: true,
        code_signing: true,
        signature_valid: true,
      },
    });
  });

  it('fails a tampered artifact, a wrong key, an expired certificate, an untrusted root and a non-code-signing certificate, each with its reason', async () => {
    const { intentId, artifactSha256 } = await createIntent(t, submitter);
    const other = 'f'.repeat(64);
    const cases: [string, object][] = [
      [
        'signature_mismatch',
        { signature: pki.sign('ec-signer', other), certificate_chain: [pki.pem('ec-signer')] },
      ],
      [
        'signature_mismatch',
        {
          signature: pki.sign('rsa-signer', artifactSha256),
          certificate_chain: [pki.pem('ec-signer')],
        },
      ],
      [
        'untrusted_root',
        {
          signature: pki.sign('rogue-signer', artifactSha256),
          certificate_chain: [pki.pem('rogue-signer')],
        },
      ],
      [
        'not_code_signing',
        {
          signature: pki.sign('tls-server', artifactSha256),
          certificate_chain: [pki.pem('tls-server')],
        },
      ],
    ];
    for (const [reason, body] of cases) {
      const res = await upload(intentId, body);
      expect(res.statusCode, reason).toBe(422);
      expect(res.json().reason).toBe(reason);
    }
    // Two days on, the one-day certificate has expired.
    t.clock.advance(2 * 86_400_000);
    const expired = await upload(intentId, {
      signature: pki.sign('short-lived', artifactSha256),
      certificate_chain: [pki.pem('short-lived')],
    });
    t.clock.advance(-2 * 86_400_000);
    expect(expired.statusCode).toBe(422);
    expect(expired.json().reason).toBe('certificate_expired');
    expect(expired.json().detail).toMatch(/expired/);

    // Nothing was stored; every refusal is in the audit log.
    const items = await t.call({
      method: 'GET',
      url: `/api/v1/intents/${intentId}/evidence`,
      as: submitter,
    });
    expect(items.json().evidence).toHaveLength(0);
    const refusals = await t.call({
      method: 'GET',
      url: '/api/v1/audit/events?type=request.refused&limit=500',
    });
    const reasons = refusals
      .json()
      .events.filter(
        (e: { data: { route: string } }) => e.data.route === '/api/v1/intents/:id/evidence',
      )
      .map((e: { data: { reason: string } }) => e.data.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'signature_mismatch',
        'untrusted_root',
        'not_code_signing',
        'certificate_expired',
      ]),
    );
  });

  it('reads a Sigstore bundle as such, and refuses a format that does not match the upload', async () => {
    const { intentId, artifactSha256 } = await createIntent(t, submitter);
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { certificate: { rawBytes: 'AAAA' } },
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: Buffer.from(artifactSha256, 'hex').toString('base64'),
        },
        signature: 'AAAA',
      },
    };
    const res = await upload(intentId, bundle);
    expect(res.statusCode).toBe(422);
    expect(res.json().reason).toMatch(/bundle|certificate/);
    const mismatch = await addEvidence(
      t,
      submitter,
      intentId,
      'kind=signature&format=sigstore',
      JSON.stringify({ signature: 'AAAA', certificate_chain: [pki.pem('ec-signer')] }),
    );
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json().reason).toBe('format_mismatch');
  });

  it('manages trust anchors: refuses non-CA certificates and duplicates, removes and re-adds', async () => {
    const leaf = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'leaf', pem: pki.pem('ec-signer') },
    });
    expect(leaf.statusCode).toBe(400);
    const garbage = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'x', pem: 'junk' },
    });
    expect(garbage.statusCode).toBe(400);
    const dup = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'again', pem: pki.pem('acme') },
    });
    expect(dup.statusCode).toBe(409);
    const rogue = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'Rogue', pem: pki.pem('rogue') },
    });
    expect(rogue.statusCode).toBe(201);
    const id = rogue.json().id;
    const listed = await t.call({ method: 'GET', url: '/api/v1/trust-anchors', as: submitter });
    expect(listed.json().trust_anchors.map((a: { name: string }) => a.name)).toEqual([
      'Acme root',
      'Rogue',
    ]);
    expect(
      (await t.call({ method: 'DELETE', url: `/api/v1/trust-anchors/${id}` })).statusCode,
    ).toBe(200);
    expect(
      (await t.call({ method: 'DELETE', url: `/api/v1/trust-anchors/${id}` })).statusCode,
    ).toBe(404);
    const all = await t.call({ method: 'GET', url: '/api/v1/trust-anchors?include_removed=true' });
    expect(all.json().trust_anchors).toHaveLength(2);
    const readd = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'Rogue again', pem: pki.pem('rogue') },
    });
    expect(readd.statusCode).toBe(201);
    expect(readd.json().id).toBe(id);
    await t.call({ method: 'DELETE', url: `/api/v1/trust-anchors/${id}` });
  });
});
