import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MsiFixtures } from '../src/artifacts/authenticode/msi-test-support.js';
import { AuthenticodeTestKit, windowsBinary } from '../src/artifacts/authenticode/test-signing.js';
import { OFFLOAD_PE_BYTES } from '../src/artifacts/embedded-signature.js';
import { dbKinds } from './databases.js';
import { addEvidence, corpusFiles, createIntent, readCorpus } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON answers by path, checked by expect.
type Json = Record<string, any>;

/**
 * Authenticode through the real upload route (the README's curl command): the verdict is in
 * the answer and on the record, the artifact is stored whatever the verdict, and the policy
 * rule and the pack use the signature when the intent has no separate signature evidence.
 */
describe.each(dbKinds)('Authenticode signatures of uploaded artifacts on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let kit: AuthenticodeTestKit;
  let msi: MsiFixtures;
  let signed: Buffer;
  const corpus = (sub: string, name: string) =>
    readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);

  beforeAll(async () => {
    kit = new AuthenticodeTestKit();
    msi = new MsiFixtures();
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
    signed = kit.sign(windowsBinary('x64'), { timestampAt: t.clock.now() });
  });
  afterAll(async () => {
    await t.close();
    kit.remove();
  });

  const upload = async (bytes: Buffer, filename = 'setup.exe'): Promise<Json> => {
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/artifacts?filename=${filename}&publisher=Acme`,
      payload: bytes,
      headers: { 'content-type': 'application/octet-stream' },
      as: submitter,
    });
    expect([200, 201], res.body).toContain(res.statusCode);
    return res.json();
  };
  /** Trusts a root (once: each test may be the first to need it). */
  const trust = async (name: string, pem: string) => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name, pem },
    });
    if (res.statusCode === 409) return;
    expect(res.statusCode, res.body).toBe(201);
  };
  const signedRule = async (intentId: string): Promise<string | null> => {
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/policy-preview`,
      as: submitter,
    });
    expect(res.statusCode, res.body).toBe(200);
    const violations = res.json().violations as { rule_id: string; message: string }[];
    return violations.find((v) => v.rule_id === 'artifact_signed')?.message ?? null;
  };

  it('answers the signer, the chain verdict and the timestamp; the rule uses it once its root is trusted', async () => {
    const answer = await upload(signed);
    expect(answer.embedded_signature).toMatchObject({
      format: 'pe',
      material_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      report: {
        status: 'invalid',
        reason: 'no_trust_anchors',
        signatures: [
          {
            signer_subject: expect.stringContaining('CN=Acme Windows Publisher'),
            chain_valid: false,
            digest_algorithm: 'sha256',
          },
        ],
      },
    });
    const stored = await t.call({
      method: 'GET',
      url: `/api/v1/artifacts/${answer.sha256}`,
      as: submitter,
    });
    expect(stored.json().embedded_signature).toEqual(answer.embedded_signature);

    const { intentId } = await createIntent(t, submitter, signed);
    expect(await signedRule(intentId)).toMatch(
      /^No verified code signature is attached to the artifact\. It carries one, but its PE Authenticode signature does not verify \(no_trust_anchors\): .*[^.]\.$/,
    );

    // Judged again against the anchors in force now, from what the upload kept.
    await trust('Authenticode test root', kit.rootPem);
    expect(await signedRule(intentId)).toBeNull();

    // Uploaded with its root trusted: the answer has the whole verdict.
    const ia32 = kit.sign(windowsBinary('ia32'), { timestampAt: t.clock.now() });
    expect((await upload(ia32)).embedded_signature.report).toMatchObject({
      status: 'valid',
      signatures: [
        {
          verdict: 'valid',
          signer_subject: expect.stringContaining('CN=Acme Windows Publisher'),
          chain_valid: true,
          code_signing: true,
          trust_anchor_subject: expect.stringContaining('CN=Authenticode Test Root'),
          timestamp: { kind: 'rfc3161', authority: expect.stringContaining('Cabinet Test TSA') },
        },
      ],
    });

    const publisher = await t.call({
      method: 'POST',
      url: '/api/v1/trusted-publishers',
      payload: { name: 'Contoso', x509_subject: 'O=Contoso Ltd' },
    });
    expect(publisher.statusCode).toBe(201);
    const unmatched = await signedRule(intentId);
    expect(unmatched).toContain('CN=Acme Windows Publisher');
    expect(unmatched).toContain('Contoso');
    const acme = await t.call({
      method: 'POST',
      url: '/api/v1/trusted-publishers',
      payload: { name: 'Acme Corp', x509_subject: 'O=Acme Corp' },
    });
    expect(acme.statusCode).toBe(201);
    expect(await signedRule(intentId)).toBeNull();

    for (const [query, body] of [
      ['kind=sbom', corpus('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json')],
      ['kind=vuln_scan', corpus('scans/trivy', 'alpine-310.json')],
    ] as const) {
      const res = await addEvidence(t, submitter, intentId, query, body);
      expect(res.statusCode, res.body).toBe(201);
    }
    const pack = await t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/evidence-packs`,
      as: submitter,
    });
    expect(pack.statusCode, pack.body).toBe(201);
    expect(pack.json().body.artifact_signature).toMatchObject({
      method: 'authenticode',
      signer_subject: expect.stringContaining('CN=Acme Windows Publisher'),
      timestamp: { kind: 'rfc3161' },
      authenticode: { format: 'pe', digest_algorithm: 'sha256', nested_signatures: 0 },
      document: {
        kind: 'signature',
        format: 'authenticode-pe',
        sha256: answer.embedded_signature.material_sha256,
      },
    });
    const verified = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${pack.json().id}/verify`,
      as: submitter,
    });
    expect(verified.json().ok, verified.body).toBe(true);
    const bundle = await t.call({
      method: 'GET',
      url: `/api/v1/evidence-packs/${pack.json().id}/bundle`,
      as: submitter,
    });
    expect(bundle.statusCode).toBe(200);
    const documents = bundle.json().documents as { sha256: string }[];
    expect(documents.map((d) => d.sha256)).toContain(answer.embedded_signature.material_sha256);
  });

  it('stores a tampered, a sha1-signed, a dual-signed, an unsigned and a broken PE, each with its verdict', async () => {
    await trust('Authenticode test root', kit.rootPem);
    const tampered = Buffer.from(signed);
    // A byte of code inside the first section, well past the headers.
    tampered[0x1000] = (tampered[0x1000] ?? 0) ^ 0xff;
    expect((await upload(tampered)).embedded_signature.report).toMatchObject({
      status: 'invalid',
      reason: 'digest_mismatch',
    });

    // Not computed in the upload pass: read again from the upload's parts.
    const sha1 = kit.sign(windowsBinary('ia32'), { hash: 'sha1' });
    expect((await upload(sha1)).embedded_signature.report).toMatchObject({
      status: 'valid',
      signatures: [{ digest_algorithm: 'sha1', verdict: 'valid' }],
    });

    const dual = kit.sign(kit.sign(windowsBinary('x64'), { hash: 'sha1' }), {
      hash: 'sha256',
      nest: true,
    });
    const dualReport = (await upload(dual)).embedded_signature.report;
    expect(dualReport.status).toBe('valid');
    expect(
      dualReport.signatures.map((s: Json) => [s.digest_algorithm, s.nested, s.verdict]),
    ).toEqual([
      ['sha1', false, 'valid'],
      ['sha256', true, 'valid'],
    ]);

    const unsigned = readFileSync(windowsBinary('x64'));
    expect((await upload(unsigned)).embedded_signature).toMatchObject({
      format: 'pe',
      material_sha256: null,
      report: { status: 'unsigned', signatures: [] },
    });

    // The certificate table's directory entry points past the end of the file.
    const pastEnd = Buffer.from(signed.subarray(0, signed.length - 64));
    const answer = await upload(pastEnd);
    expect(answer.embedded_signature.report).toMatchObject({
      status: 'invalid',
      reason: 'certificate_table_invalid',
    });
    expect(answer.size_bytes).toBe(pastEnd.length);

    // What the rule says of each, for an intent with no signature evidence.
    const unsignedIntent = await createIntent(t, submitter, unsigned);
    expect(await signedRule(unsignedIntent.intentId)).toBe(
      'No verified code signature is attached to the artifact.',
    );
    const brokenIntent = await createIntent(t, submitter, pastEnd);
    expect(await signedRule(brokenIntent.intentId)).toMatch(
      /^No verified code signature is attached to the artifact\. It carries one, but its PE Authenticode signature could not be read \(certificate_table_invalid\): .*[^.]\.$/,
    );

    expect(
      (await upload(Buffer.from('just some bytes, not a PE'), 'notes.txt')).embedded_signature,
    ).toBeNull();
  });

  it('hashes a large PE beside the main thread: SHA-256 there, SHA-1 by a second pass over the parts', async () => {
    await trust('Authenticode test root', kit.rootPem);
    // Above OFFLOAD_PE_BYTES: 7za.exe grown with an overlay, as self-extracting installers are.
    const binary = readFileSync(windowsBinary('x64'));
    const grown = Buffer.concat([binary, Buffer.alloc(OFFLOAD_PE_BYTES, 0x5a)]);
    const big = kit.sign(grown);
    expect(big.length).toBeGreaterThan(OFFLOAD_PE_BYTES);
    expect((await upload(big)).embedded_signature.report).toMatchObject({
      status: 'valid',
      signatures: [{ digest_algorithm: 'sha256', verdict: 'valid' }],
    });
    const bigSha1 = kit.sign(Buffer.concat([grown, Buffer.from('sha1')]), { hash: 'sha1' });
    expect((await upload(bigSha1)).embedded_signature.report).toMatchObject({
      status: 'valid',
      signatures: [{ digest_algorithm: 'sha1', verdict: 'valid' }],
    });
    const tampered = Buffer.from(big);
    tampered[binary.length + 1000] = 0;
    expect((await upload(tampered)).embedded_signature.report).toMatchObject({
      status: 'invalid',
      reason: 'digest_mismatch',
    });

    // The first bytes in chunks too short to tell a PE: held until they can, then sent on.
    const received = await t.container.artifacts.receive({
      stream: Readable.from([big.subarray(0, 3), big.subarray(3, 5000), big.subarray(5000)]),
      contentLength: big.length,
    });
    try {
      expect(received.embedded?.signature.report.status).toBe('valid');
    } finally {
      await t.container.artifacts.release(received, false);
    }
  });

  it('verifies a signed MSI built with wixl, and refuses a tampered one', async () => {
    await trust('MSI test root', msi.pki.pem('msi-root'));
    const good = msi.sign(msi.build(), { dse: true });
    expect((await upload(good, 'product.msi')).embedded_signature).toMatchObject({
      format: 'msi',
      report: {
        status: 'valid',
        signatures: [{ signer_subject: expect.stringContaining('CN=Acme Installer Signing') }],
      },
    });
    const bad = Buffer.from(good);
    const at = bad.indexOf(Buffer.from('fixture '));
    expect(at).toBeGreaterThan(0);
    bad[at] = 'F'.charCodeAt(0);
    expect((await upload(bad, 'product.msi')).embedded_signature.report).toMatchObject({
      status: 'invalid',
      reason: 'digest_mismatch',
    });
  });
});
