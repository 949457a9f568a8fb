import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { StoredAuditEvent } from '../audit/chain.js';
import { APPROVED_STATUSES } from '../cab/cab-rules.js';
import { DECISION_PREDICATE_TYPE, type DecisionStatement } from '../cab/decision-attestation.js';
import { canonicalJson, sha256Hex } from '../platform/crypto/canonical-json.js';
import {
  type BundleVerification,
  type EvidenceBundle,
  type TrustedKey,
  verifyBundle,
} from './bundle.js';
import { CAB_APPROVED_STATUSES, CAB_DECISION_PREDICATE_TYPE } from './bundle-cab.js';
import {
  auditSpecs,
  buildBundle,
  newSigningKey,
  PACK_ID,
  packBodyFixture,
  REQUEST_ID,
  signCheckpoint,
} from './bundle-test-fixture.js';
import { DSSE_PAYLOAD_TYPE, packStatement, pae, signEnvelope, signPayload } from './dsse.js';
import type { PackBody } from './pack-body.js';

const key = newSigningKey();
const other = newSigningKey();
const trusted: TrustedKey[] = [{ key_id: key.keyId, pem: key.publicKeyPem }];
const original = buildBundle({ key }).bundle;

/** A fresh copy, as it would be read from disk. */
function fresh(bundle: EvidenceBundle = original): EvidenceBundle {
  return JSON.parse(JSON.stringify(bundle)) as EvidenceBundle;
}

function verify(bundle: unknown, keys: TrustedKey[] = trusted): BundleVerification {
  return verifyBundle(bundle, { trustedKeys: keys });
}

function failed(result: BundleVerification): string[] {
  return [...new Set(result.checks.filter((c) => !c.ok).map((c) => c.part))];
}

function messages(result: BundleVerification, part: string): string[] {
  return result.checks.filter((c) => !c.ok && c.part === part).map((c) => c.message);
}

/** Body edited, digest recomputed: what someone editing the database would leave behind. */
function redigest(bundle: EvidenceBundle): void {
  bundle.pack.digest = sha256Hex(canonicalJson(bundle.pack.body));
}

function openedEvent(bundle: EvidenceBundle, seq: number): StoredAuditEvent {
  const event = bundle.audit.events.find((e) => e.seq === seq);
  if (!event || 'redacted' in event) throw new Error(`seq ${seq} is not opened`);
  return event;
}

const docPart = (sha256: string) => `documents[${sha256}]`;
const sbomSha = original.pack.body.sbom_data!.document.sha256;

describe('verifyBundle: an untouched bundle', () => {
  it('verifies, naming every part it checked', () => {
    const result = verify(fresh());
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.part)).toEqual([
      'format',
      'key',
      'pack.digest',
      'envelope',
      'envelope.statement',
      ...original.documents.map((d) => docPart(d.sha256)),
      'audit',
    ]);
    expect(result.checks.find((c) => c.part === 'audit')?.message).toBe(
      `seq 41..48: 8 events (4 opened, 4 redacted) link and match their hashes; signed checkpoint at seq 48 by key ${key.keyId}; evidence_pack.generated at seq 46`,
    );
    expect(result.checks.find((c) => c.part === docPart(sbomSha))?.message).toMatch(
      /^sbom\/cyclonedx at sbom_data\.document: \d+ bytes, sha256 matches$/,
    );
  });

  it('verifies a chain that starts at seq 1, and with several trusted keys', () => {
    const { bundle } = buildBundle({ key, startSeq: 1 });
    expect(verify(fresh(bundle)).ok).toBe(true);
    expect(verify(fresh(buildBundle({ key, packId: 'pack-2' }).bundle)).ok).toBe(true);
    expect(verify(fresh(), [{ pem: other.publicKeyPem }, { pem: key.publicKeyPem }]).ok).toBe(true);
  });

  it('verifies a pack that references no documents', () => {
    const body: PackBody = {
      ...packBodyFixture(),
      artifact_signature: null,
      sbom_data: null,
      vuln_scan_results: null,
      test_evidence: { lab: null, ring0: null },
    };
    const bundle = fresh(buildBundle({ key, body }).bundle);
    bundle.documents = [];
    const result = verify(bundle);
    expect(result.ok).toBe(true);
    expect(result.checks).toContainEqual({
      part: 'documents',
      ok: true,
      message: 'the pack references no documents',
    });
  });

  it('reports each document hashed, for a progress display', () => {
    const onProgress = vi.fn();
    verifyBundle(fresh(), { trustedKeys: trusted, onProgress });
    expect(onProgress).toHaveBeenCalledTimes(6);
    expect(onProgress).toHaveBeenLastCalledWith({
      done: 6,
      total: 6,
      bytes: original.documents.reduce((n, d) => n + d.size_bytes, 0),
    });
  });
});

describe('verifyBundle: tampering is caught and named', () => {
  it('a changed byte in a document', () => {
    const bundle = fresh();
    const bytes = Buffer.from(bundle.documents[0]!.content_base64, 'base64');
    bytes[10] = bytes[10]! ^ 0x20;
    bundle.documents[0]!.content_base64 = bytes.toString('base64');
    const result = verify(bundle);
    expect(failed(result)).toEqual([docPart(sbomSha)]);
    expect(messages(result, docPart(sbomSha))).toEqual([
      `sbom/cyclonedx at sbom_data.document: its bytes hash to ${sha256Hex(bytes)}: the document was altered`,
    ]);
  });

  it('a document removed', () => {
    const bundle = fresh();
    bundle.documents.splice(0, 1);
    const result = verify(bundle);
    expect(failed(result)).toEqual([docPart(sbomSha)]);
    expect(messages(result, docPart(sbomSha))).toEqual([
      'sbom/cyclonedx at sbom_data.document: the pack references it but the bundle does not carry it',
    ]);
  });

  it('a document replaced, its label updated to the new bytes', () => {
    const bundle = fresh();
    const bytes = Buffer.from('{"bomFormat":"CycloneDX","components":[]}');
    Object.assign(bundle.documents[0]!, {
      sha256: sha256Hex(bytes),
      size_bytes: bytes.length,
      content_base64: bytes.toString('base64'),
    });
    const result = verify(bundle);
    expect(failed(result)).toEqual([docPart(sbomSha), docPart(sha256Hex(bytes))]);
    expect(messages(result, docPart(sha256Hex(bytes)))).toEqual([
      'the bundle carries a document the pack does not reference: the signature does not cover it',
    ]);
  });

  it('the body edited', () => {
    const bundle = fresh();
    bundle.pack.body.vuln_scan_passed = false;
    const result = verify(bundle);
    expect(failed(result)).toEqual(['pack.digest', 'envelope.statement']);
    expect(messages(result, 'pack.digest')[0]).toMatch(
      /^the canonical body hashes to [0-9a-f]{64}, the bundle says [0-9a-f]{64}: the body or the digest was edited$/,
    );
    expect(messages(result, 'envelope.statement')).toEqual([
      'the signed predicate differs from the pack body: the body was changed after signing',
    ]);
  });

  it('the body edited and the digest edited to match, the envelope not re-signed', () => {
    const bundle = fresh();
    bundle.pack.body.risk.score = 1;
    redigest(bundle);
    const result = verify(bundle);
    expect(failed(result)).toEqual(['envelope.statement', 'audit']);
    expect(messages(result, 'audit')).toEqual([
      `the evidence_pack.generated event does not record the pack's digest ${bundle.pack.digest} (seq 46 records ${original.pack.digest})`,
    ]);
  });

  it('the key swapped: re-signed by another key, the embedded key replaced', () => {
    const bundle = fresh();
    bundle.pack.body.policy_approved = true;
    bundle.envelope = signEnvelope(packStatement(bundle.pack.body), other);
    bundle.public_key = { key_id: other.keyId, algorithm: 'ed25519', pem: other.publicKeyPem };
    const result = verify(bundle);
    expect(failed(result)).toEqual(['key', 'envelope', 'envelope.statement']);
    expect(messages(result, 'key')).toEqual([
      `the bundle is signed by key ${other.keyId}, not by a key you trust (trusted: ${key.keyId})`,
    ]);
    expect(messages(result, 'envelope')).toEqual([
      `the envelope is signed by key ${other.keyId}, not by a key you trust`,
    ]);
    expect(messages(result, 'envelope.statement')).toEqual([
      'not checked: the envelope did not verify',
    ]);
  });

  it('a pack from another server: consistent under a key you do not trust', () => {
    const built = buildBundle(); // a fresh key: another server's
    const foreign = fresh(built.bundle);
    const result = verify(foreign);
    expect(failed(result)).toEqual(['key', 'envelope', 'envelope.statement', 'audit']);
    expect(messages(result, 'key')[0]).toContain('not by a key you trust');
    expect(messages(result, 'envelope.statement')).toEqual([
      'not checked: the envelope did not verify',
    ]);
    expect(messages(result, 'audit')).toEqual([
      `the checkpoint is signed by key ${built.key.keyId}, not by a key you trust`,
    ]);
    expect(verify(foreign, [{ pem: built.key.publicKeyPem }]).ok).toBe(true);
  });

  it('an audit event edited', () => {
    const bundle = fresh();
    openedEvent(bundle, 43).data = '{"kind":"vex"}';
    const result = verify(bundle);
    expect(failed(result)).toEqual(['audit']);
    expect(messages(result, 'audit')).toEqual([
      'seq 43 does not match its hash: the event was edited',
    ]);
  });

  it('an audit event edited and re-hashed', () => {
    const bundle = fresh();
    const event = openedEvent(bundle, 41);
    event.actor = 'user-mallory';
    const { hash: _old, ...unhashed } = event;
    event.hash = sha256Hex(
      canonicalJson({ ...unhashed, data: JSON.parse(unhashed.data) as unknown }),
    );
    expect(messages(verify(bundle), 'audit')).toEqual([
      'seq 42 does not link to seq 41 (prev_hash differs): an event was replaced or reordered',
    ]);
  });

  it('the whole excerpt rewritten consistently under the old checkpoint', () => {
    const specs = auditSpecs(PACK_ID, original.pack.digest);
    specs[0] = { ...specs[0]!, data: { app_name: 'Something Else' } };
    const bundle = fresh();
    bundle.audit.events = fresh(buildBundle({ key, specs }).bundle).audit.events;
    expect(messages(verify(bundle), 'audit')).toEqual([
      `seq 48 differs from the signed checkpoint (hash ${original.audit.checkpoint!.hash}): the chain was rewritten`,
    ]);
  });

  it('an event removed from the middle', () => {
    const bundle = fresh();
    bundle.audit.events.splice(2, 1);
    expect(messages(verify(bundle), 'audit')).toEqual([
      'seq 43 is missing after seq 42: events were removed',
    ]);
    bundle.audit.events.splice(2, 2);
    expect(messages(verify(bundle), 'audit')).toEqual([
      'seq 43..45 are missing after seq 42: events were removed',
    ]);
  });

  it('events reordered or repeated', () => {
    const bundle = fresh();
    const [a, b] = bundle.audit.events.splice(1, 2);
    bundle.audit.events.splice(1, 0, b!, a!);
    expect(messages(verify(bundle), 'audit')).toEqual([
      'seq 43 follows seq 41: events repeat or are out of order',
      'seq 42 follows seq 43: events repeat or are out of order',
      'seq 44 follows seq 42: events repeat or are out of order',
    ]);
    bundle.audit.events = [...original.audit.events];
    bundle.audit.events.splice(3, 0, original.audit.events[2]!);
    expect(messages(verify(bundle), 'audit')).toEqual([
      'seq 43 follows seq 43: events repeat or are out of order',
    ]);
  });

  it('the events cut short of the checkpoint', () => {
    const bundle = fresh();
    bundle.audit.events.pop();
    expect(messages(verify(bundle), 'audit')).toEqual([
      'the signed checkpoint is at seq 48 but the events end at seq 47',
    ]);
  });

  it('the checkpoint signature broken', () => {
    const bundle = fresh();
    const checkpoint = bundle.audit.checkpoint!;
    checkpoint.created_at = '2026-11-20T10:06:00.000Z';
    expect(messages(verify(bundle), 'audit')).toEqual([
      `the checkpoint signature does not verify under key ${key.keyId}`,
    ]);
  });

  it('the checkpoint missing', () => {
    const bundle = fresh();
    bundle.audit.checkpoint = null;
    expect(messages(verify(bundle), 'audit')).toEqual([
      'the bundle carries no signed checkpoint: the events are anchored to nothing',
    ]);
  });

  it('a first event claiming to start the chain with a wrong prev_hash', () => {
    const bundle = fresh();
    bundle.audit.events = bundle.audit.events.map((e) => ({ ...e, seq: e.seq - 40 }));
    bundle.audit.checkpoint = signCheckpoint(key, {
      seq: 8,
      hash: original.audit.checkpoint!.hash,
    });
    expect(messages(verify(bundle), 'audit')).toContain(
      'seq 1 does not start the chain: its prev_hash is not 64 zeros',
    );
  });

  it('the generation event missing, redacted, or about another pack', () => {
    const specs = auditSpecs(PACK_ID, original.pack.digest);
    const without = buildBundle({ key, specs: specs.filter((_, i) => i !== 5) }).bundle;
    const missing = `no opened evidence_pack.generated event names pack ${PACK_ID}: its generation is not in the chain`;
    expect(failed(verify(fresh(without)))).toEqual(['audit']);
    expect(messages(verify(fresh(without)), 'audit')).toEqual([missing]);

    const redactedSpecs = specs.map((s, i) => (i === 5 ? { ...s, redacted: true } : s));
    const redacted = buildBundle({ key, specs: redactedSpecs }).bundle;
    expect(messages(verify(fresh(redacted)), 'audit')).toEqual([missing]);

    const otherPack = specs.map((s, i) => (i === 5 ? { ...s, subject: 'another-pack' } : s));
    expect(messages(verify(fresh(buildBundle({ key, specs: otherPack }).bundle)), 'audit')).toEqual(
      [missing],
    );

    const noDigest = specs.map((s, i) => (i === 5 ? { ...s, data: { version: '1.0' } } : s));
    expect(messages(verify(fresh(buildBundle({ key, specs: noDigest }).bundle)), 'audit')).toEqual([
      `the evidence_pack.generated event does not record the pack's digest ${original.pack.digest} (seq 46 records no digest)`,
    ]);
  });

  it('a generation event whose data is not JSON is not taken for one', () => {
    const bundle = fresh();
    openedEvent(bundle, 46).data = 'not json';
    expect(messages(verify(bundle), 'audit')).toEqual([
      'seq 46 does not match its hash: the event was edited',
      `the evidence_pack.generated event does not record the pack's digest ${original.pack.digest} (seq 46 records no digest)`,
    ]);
  });

  it('the pack version relabelled', () => {
    const bundle = fresh();
    bundle.pack.version = '1.1';
    const result = verify(bundle);
    expect(failed(result)).toEqual(['pack.version']);
    expect(messages(result, 'pack.version')).toEqual([
      'the bundle labels the pack version 1.1 but its body says 1.0',
    ]);
  });
});

describe('verifyBundle: the envelope', () => {
  /** An envelope over `statement`, properly signed by the trusted key. */
  function signedStatement(statement: unknown) {
    const payload = Buffer.from(canonicalJson(statement));
    return {
      payloadType: DSSE_PAYLOAD_TYPE,
      payload: payload.toString('base64'),
      signatures: [{ keyid: key.keyId, sig: key.sign(pae(DSSE_PAYLOAD_TYPE, payload)) }],
    };
  }

  it('without signatures', () => {
    const bundle = fresh();
    bundle.envelope.signatures = [];
    const result = verify(bundle);
    expect(messages(result, 'envelope')).toEqual(['the envelope carries no signature']);
    expect(messages(result, 'envelope.statement')).toEqual([
      'not checked: the envelope did not verify',
    ]);
  });

  it('with its payloadType changed', () => {
    const bundle = fresh();
    bundle.envelope.payloadType = 'application/json';
    expect(messages(verify(bundle), 'envelope')).toEqual([
      'payloadType is "application/json", not application/vnd.in-toto+json',
    ]);
  });

  it('with a payload byte flipped', () => {
    const bundle = fresh();
    const payload = Buffer.from(bundle.envelope.payload, 'base64');
    payload[20] = payload[20]! ^ 0x04;
    bundle.envelope.payload = payload.toString('base64');
    expect(messages(verify(bundle), 'envelope')).toEqual([
      `the signature of key ${key.keyId} does not verify over the payload`,
    ]);
  });

  it('a signed statement with the wrong predicateType and subject', () => {
    const bundle = fresh();
    const statement = packStatement(bundle.pack.body) as unknown as Record<string, unknown>;
    bundle.envelope = signedStatement({
      ...statement,
      predicateType: 'https://slsa.dev/provenance/v1',
      subject: [{ name: 'x.msi', digest: { sha256: 'f'.repeat(64) } }, { name: 'y' }],
    });
    const result = verify(bundle);
    expect(failed(result)).toEqual(['envelope.statement']);
    expect(messages(result, 'envelope.statement')).toEqual([
      'predicateType is https://slsa.dev/provenance/v1, not urn:cabinet:evidence-pack:v1',
      `the signed subject is sha256 ${'f'.repeat(64)}, undefined, not the pack's artifact ${original.pack.body.artifact_sha256}`,
    ]);
  });

  it('a signed statement without subjects', () => {
    const bundle = fresh();
    bundle.envelope = signedStatement({ ...packStatement(bundle.pack.body), subject: [] });
    expect(messages(verify(bundle), 'envelope.statement')).toEqual([
      `the signed subject is sha256 (none), not the pack's artifact ${original.pack.body.artifact_sha256}`,
    ]);
  });
});

describe('verifyBundle: keys', () => {
  it('needs at least one trusted key', () => {
    const result = verify(fresh(), []);
    expect(failed(result)).toEqual(['key', 'envelope', 'envelope.statement', 'audit']);
    expect(messages(result, 'key')).toEqual([
      'no trusted key was given: there is nothing to check the signer against',
      `the bundle is signed by key ${key.keyId}, not by a key you trust (trusted: none)`,
    ]);
  });

  it('reports trusted keys it cannot use', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const result = verify(fresh(), [
      { pem: 'garbage' },
      { pem: ecPem },
      { key_id: other.keyId, pem: key.publicKeyPem },
      { pem: key.publicKeyPem },
    ]);
    expect(messages(result, 'key')).toEqual([
      'trusted key 1 cannot be read as an Ed25519 public key',
      'trusted key 2 cannot be read as an Ed25519 public key',
      `trusted key 3 is labelled ${other.keyId} but its PEM is key ${key.keyId}`,
    ]);
    expect(failed(result)).toEqual(['key']);
  });

  it('catches an embedded key_id that is not the embedded key', () => {
    const bundle = fresh();
    bundle.public_key.key_id = other.keyId;
    expect(messages(verify(bundle), 'key')).toEqual([
      `the embedded key_id ${other.keyId} is not the id of the embedded public key (${key.keyId})`,
    ]);
  });

  it('catches an embedded key that cannot be read', () => {
    const bundle = fresh();
    bundle.public_key.pem = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
    expect(messages(verify(bundle), 'key')).toEqual([
      'the embedded public key cannot be read as an Ed25519 public key',
    ]);
  });
});

describe('verifyBundle: documents', () => {
  it('names a document carried twice, and a mislabelled one', () => {
    const bundle = fresh();
    bundle.documents.push({ ...bundle.documents[1]! });
    Object.assign(bundle.documents[2]!, { kind: 'sbom', format: 'spdx', size_bytes: 1 });
    const result = verify(bundle);
    const scan = bundle.documents[1]!;
    const vex = bundle.documents[2]!;
    expect(failed(result)).toEqual([docPart(scan.sha256), docPart(vex.sha256)]);
    expect(messages(result, docPart(scan.sha256))).toEqual([
      'the bundle carries this document twice',
    ]);
    const size = Buffer.from(vex.content_base64, 'base64').length;
    expect(messages(result, docPart(vex.sha256))).toEqual([
      `vex/openvex at vuln_scan_results.vex_documents[0]: the bundle labels it sbom/spdx but vuln_scan_results.vex_documents[0] is vex/openvex; the bundle labels it 1 bytes, its content is ${size}`,
    ]);
  });

  it('checks every place that references the same document', () => {
    const body = packBodyFixture();
    body.test_evidence.ring0!.document = { ...body.test_evidence.lab!.document, size_bytes: 7 };
    const built = buildBundle({ key, body }).bundle;
    built.documents = built.documents.filter((d) => d.sha256 !== original.documents[5]!.sha256);
    const lab = body.test_evidence.lab!.document;
    const result = verify(fresh(built));
    expect(failed(result)).toEqual([docPart(lab.sha256)]);
    expect(messages(result, docPart(lab.sha256))).toEqual([
      `test_results/junit at test_evidence.lab.document, test_evidence.ring0.document: it is ${lab.size_bytes} bytes long but test_evidence.ring0.document says 7`,
    ]);
  });

  it('walks every DocumentRef of the body', () => {
    const body = packBodyFixture();
    const refs = [
      body.sbom_data!.document,
      body.vuln_scan_results!.document,
      body.vuln_scan_results!.vex_documents[0]!,
      body.artifact_signature!.document,
      body.test_evidence.lab!.document,
      body.test_evidence.ring0!.document,
    ];
    for (const ref of refs) {
      const bundle = fresh();
      bundle.documents = bundle.documents.filter((d) => d.sha256 !== ref.sha256);
      expect(failed(verify(bundle))).toEqual([docPart(ref.sha256)]);
    }
  });
});

describe('verifyBundle: format', () => {
  it.each([
    ['a string', 'hello', '(the bundle): expected a JSON object'],
    ['null', null, '(the bundle): expected a JSON object'],
    ['an array', [], '(the bundle): expected a JSON object'],
    [
      'another format',
      { format: 'cabinet-evidence-bundle/v2' },
      'format: "cabinet-evidence-bundle/v2": this verifier reads cabinet-evidence-bundle/v1 only',
    ],
    ['no format', {}, 'format: missing: this verifier reads cabinet-evidence-bundle/v1 only'],
  ])('stops at once for %s', (_name, input, message) => {
    expect(verify(input)).toEqual({ ok: false, checks: [{ part: 'format', ok: false, message }] });
  });

  it('names the path of each problem and skips what depends on the broken part', () => {
    const bundle = fresh() as unknown as Record<string, unknown> & EvidenceBundle;
    bundle.extra = 1;
    bundle.exported_at = 'yesterday';
    (bundle.pack as unknown as Record<string, unknown>).digest = 'XYZ';
    const result = verify(bundle);
    expect(messages(result, 'format')).toEqual([
      'extra: unrecognized key',
      expect.stringMatching(/^exported_at: /),
      expect.stringMatching(/^pack\.digest: expected 64 lowercase hex digits/),
    ]);
    expect(messages(result, 'pack.digest')).toEqual([
      'not checked: the pack could not be read (see format)',
    ]);
    expect(messages(result, 'envelope.statement')).toEqual([
      'not checked: the pack could not be read (see format)',
    ]);
    expect(messages(result, 'documents')).toEqual([
      'not checked: the pack could not be read (see format)',
    ]);
    expect(messages(result, 'audit')).toEqual([
      'not checked: the generation event (the pack could not be read)',
    ]);
    expect(result.checks.filter((c) => c.ok).map((c) => c.part)).toEqual(['key', 'envelope']);
  });

  it('reads the body only as far as it needs, but requires its document refs', () => {
    const bundle = fresh();
    (bundle.pack.body.sbom_data!.document as unknown as Record<string, unknown>).size_bytes = -1;
    expect(messages(verify(bundle), 'format')).toEqual([
      'pack.body.sbom_data.document.size_bytes: Too small: expected number to be >=0',
    ]);
  });

  it('skips the parts it cannot read', () => {
    const bundle = fresh() as unknown as Record<string, unknown>;
    bundle.envelope = { payloadType: 'x', payload: '!!', signatures: [] };
    bundle.documents = 'none';
    bundle.public_key = { key_id: 'k', algorithm: 'rsa', pem: '' };
    bundle.audit = { events: [], checkpoint: null };
    const result = verify(bundle);
    expect(messages(result, 'format')).toEqual([
      'envelope.payload: expected standard base64',
      'documents: Invalid input: expected array, received string',
      'public_key.algorithm: Invalid input: expected "ed25519"',
      'audit.events: the bundle carries no audit events',
    ]);
    expect(failed(result)).toEqual([
      'format',
      'key',
      'envelope',
      'envelope.statement',
      'documents',
      'audit',
    ]);
    expect(messages(result, 'documents')).toEqual([
      'not checked: the documents could not be read (see format)',
    ]);
    expect(messages(result, 'audit')).toEqual([
      'not checked: the audit events could not be read (see format)',
    ]);
    expect(messages(result, 'key')).toEqual([
      'not checked: public_key could not be read (see format)',
    ]);
  });

  it('reads opened and redacted events each by their own shape', () => {
    const bundle = fresh() as unknown as { audit: { events: Record<string, unknown>[] } };
    bundle.audit.events[1]!.redacted = false;
    bundle.audit.events[2]!.subject = 7;
    bundle.audit.events[3]!.data = '{}';
    const result = verify(bundle);
    expect(messages(result, 'format')).toEqual([
      'audit.events[1].redacted: Invalid input: expected true',
      'audit.events[2].subject: Invalid input: expected string, received number',
      'audit.events[3]: Unrecognized key: "data"',
    ]);
    expect(messages(result, 'audit')).toEqual([
      'not checked: the audit events could not be read (see format)',
    ]);
  });

  it('caps the list of problems', () => {
    const bundle = fresh() as unknown as { audit: { events: Record<string, unknown>[] } };
    for (const event of bundle.audit.events) event.hash = 'nope';
    const many = fresh() as unknown as Record<string, unknown>;
    for (let i = 0; i < 30; i++) many[`x${i}`] = i;
    const result = verify(many);
    const formats = messages(result, 'format');
    expect(formats).toHaveLength(21);
    expect(formats.at(-1)).toBe('… and 10 more format problems');
    expect(messages(verify(bundle), 'format')).toHaveLength(8);
  });
});

describe('verifyBundle: the CAB decision', () => {
  const approved = buildBundle({ key, cab: 'approved' }).bundle;
  const { digest, id: packId } = approved.pack;
  const artifact = approved.pack.body.artifact_sha256;
  const DECISION_PARTS = [
    'cab_decision.signature',
    'cab_decision.statement',
    'cab_decision.subject',
    'cab_decision.pack',
    'cab_decision.audit',
  ];

  function statementOf(bundle: EvidenceBundle): DecisionStatement {
    const payload = Buffer.from(bundle.cab_decision!.attestation!.payload, 'base64');
    return JSON.parse(payload.toString('utf8')) as DecisionStatement;
  }

  /** The attestation edited and properly re-signed (by the trusted key unless told). */
  function resigned(edit: (statement: DecisionStatement) => void, by = key): EvidenceBundle {
    const bundle = fresh(approved);
    const statement = statementOf(bundle);
    edit(statement);
    bundle.cab_decision!.attestation = signPayload(canonicalJson(statement), by);
    return bundle;
  }

  function decidedEventSeq(bundle: EvidenceBundle): number {
    const event = bundle.audit.events.find(
      (e) => !('redacted' in e) && e.event_type === 'cab.request.decided',
    );
    return event!.seq;
  }

  it('verifies a bundle whose approved request carries its attestation, naming each check', () => {
    const result = verify(fresh(approved));
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.part)).toEqual([
      'format',
      'key',
      'pack.digest',
      'envelope',
      'envelope.statement',
      ...approved.documents.map((d) => docPart(d.sha256)),
      'audit',
      ...DECISION_PARTS,
    ]);
    const message = (part: string) => result.checks.find((c) => c.part === part)?.message;
    expect(message('cab_decision.signature')).toBe(
      `the DSSE signature of key ${key.keyId} verifies over the decision statement`,
    );
    expect(message('cab_decision.statement')).toBe(
      `request ${REQUEST_ID}: approved (normal change) at 2026-11-20T10:00:50.000Z, authorised until 2026-12-04T10:00:50.000Z`,
    );
    expect(message('cab_decision.subject')).toBe(
      `the decision is about artifact ${artifact}, the pack's`,
    );
    expect(message('cab_decision.pack')).toBe(
      `the decision approves this pack: ${packId} version 1.0, digest ${digest}`,
    );
    expect(message('cab_decision.audit')).toBe(
      `cab.request.decided of request ${REQUEST_ID} at seq ${decidedEventSeq(approved)}`,
    );
  });

  it('reads what the cab domain signs: its predicateType and approved statuses', () => {
    expect(CAB_DECISION_PREDICATE_TYPE).toBe(DECISION_PREDICATE_TYPE);
    expect(CAB_APPROVED_STATUSES).toEqual(APPROVED_STATUSES);
    expect(statementOf(approved).predicateType).toBe(DECISION_PREDICATE_TYPE);
  });

  it.each(['pending', 'denied'] as const)(
    'a %s request has no attestation: reported, and passing',
    (outcome) => {
      const result = verify(fresh(buildBundle({ key, cab: outcome }).bundle));
      expect(result.ok).toBe(true);
      expect(result.checks.filter((c) => c.part.startsWith('cab_decision'))).toEqual([
        {
          part: 'cab_decision',
          ok: true,
          message: `request ${REQUEST_ID} is ${outcome}: not approved: no decision attestation`,
        },
      ]);
    },
  );

  it('a bundle without cab_decision still verifies (older bundles), and so does null', () => {
    const old = verify(fresh());
    expect(old.ok).toBe(true);
    expect(old.checks.some((c) => c.part.startsWith('cab_decision'))).toBe(false);
    const unsubmitted = fresh();
    unsubmitted.cab_decision = null;
    const result = verify(unsubmitted);
    expect(result.ok).toBe(true);
    expect(result.checks.at(-1)).toEqual({
      part: 'cab_decision',
      ok: true,
      message:
        'no CAB request: the pack had not been submitted to the CAB when the bundle was exported',
    });
  });

  it('the payload edited, not re-signed', () => {
    const bundle = fresh(approved);
    const text = Buffer.from(bundle.cab_decision!.attestation!.payload, 'base64').toString();
    bundle.cab_decision!.attestation!.payload = Buffer.from(
      text.replace('"approval_policy_version":"1.0"', '"approval_policy_version":"9.0"'),
    ).toString('base64');
    const result = verify(bundle);
    expect(failed(result)).toEqual(DECISION_PARTS.slice(0, 4));
    expect(messages(result, 'cab_decision.signature')).toEqual([
      `the signature of key ${key.keyId} does not verify over the payload`,
    ]);
    expect(messages(result, 'cab_decision.pack')).toEqual([
      'not checked: the decision attestation did not verify',
    ]);
  });

  it('a tampered predicate: another pack digest (or id, version), re-signed', () => {
    const result = verify(
      resigned((s) => {
        s.predicate.pack.digest = 'd'.repeat(64);
      }),
    );
    expect(failed(result)).toEqual(['cab_decision.pack']);
    expect(messages(result, 'cab_decision.pack')).toEqual([
      `the decision names pack digest ${'d'.repeat(64)}, not ${digest}: it approved another pack (or version)`,
    ]);
    const other = verify(
      resigned((s) => {
        s.predicate.pack = { id: 'pack-2', version: '1.1', digest };
      }),
    );
    expect(messages(other, 'cab_decision.pack')).toEqual([
      `the decision names pack id pack-2, not ${packId}, version 1.1, not 1.0: it approved another pack (or version)`,
    ]);
  });

  it('a wrong subject', () => {
    const result = verify(
      resigned((s) => {
        s.subject = [{ name: 'other.msi', digest: { sha256: 'a'.repeat(64) } }];
      }),
    );
    expect(failed(result)).toEqual(['cab_decision.subject']);
    expect(messages(result, 'cab_decision.subject')).toEqual([
      `the decision's subject is sha256 ${'a'.repeat(64)}, not the pack's artifact ${artifact}`,
    ]);
  });

  it('a wrong key', () => {
    const result = verify(resigned(() => {}, other));
    expect(failed(result)).toEqual(DECISION_PARTS.slice(0, 4));
    expect(messages(result, 'cab_decision.signature')).toEqual([
      `the decision attestation is signed by key ${other.keyId}, not by a key you trust`,
    ]);
    // Trusting that key too, the decision verifies: it is consistent, only its signer differs.
    expect(
      verify(
        resigned(() => {}, other),
        [...trusted, { pem: other.publicKeyPem }],
      ).ok,
    ).toBe(true);
  });

  it('a wrong predicateType, and the pack envelope passed off as the decision', () => {
    const result = verify(
      resigned((s) => {
        (s as { predicateType: string }).predicateType = 'https://slsa.dev/provenance/v1';
      }),
    );
    expect(failed(result)).toEqual(['cab_decision.statement']);
    expect(messages(result, 'cab_decision.statement')).toEqual([
      'predicateType is https://slsa.dev/provenance/v1, not urn:cabinet:cab-decision:v1',
    ]);
    const bundle = fresh(approved);
    bundle.cab_decision!.attestation = bundle.envelope;
    const swapped = verify(bundle);
    expect(failed(swapped)).toEqual(['cab_decision.statement', 'cab_decision.pack']);
    expect(messages(swapped, 'cab_decision.statement')).toEqual([
      'predicateType is urn:cabinet:evidence-pack:v1, not urn:cabinet:cab-decision:v1',
      'the signed predicate is not a CAB decision: predicate.request_id: Invalid input: expected string, received undefined',
    ]);
  });

  it('the request relabelled: the attestation decides another one', () => {
    const bundle = fresh(approved);
    bundle.cab_decision!.request_id = 'req-other';
    const result = verify(bundle);
    expect(failed(result)).toEqual(['cab_decision.statement', 'cab_decision.audit']);
    expect(messages(result, 'cab_decision.statement')).toEqual([
      `the attestation decides request ${REQUEST_ID}, the bundle labels it request req-other`,
    ]);
    expect(messages(result, 'cab_decision.audit')).toEqual([
      'no opened cab.request.decided event names request req-other: the decision is not in the chain',
    ]);
  });

  it('the decision event redacted, or recording another status', () => {
    const bundle = fresh(approved);
    const seq = decidedEventSeq(bundle);
    bundle.audit.events = bundle.audit.events.map((e) =>
      e.seq === seq ? { seq, prev_hash: e.prev_hash, hash: e.hash, redacted: true as const } : e,
    );
    const result = verify(bundle);
    expect(failed(result)).toEqual(['cab_decision.audit']);
    expect(messages(result, 'cab_decision.audit')).toEqual([
      `no opened cab.request.decided event names request ${REQUEST_ID}: the decision is not in the chain`,
    ]);
    const relabelled = resigned((s) => {
      s.predicate.status = 'approved_with_conditions';
    });
    relabelled.cab_decision!.status = 'approved_with_conditions';
    expect(messages(verify(relabelled), 'cab_decision.audit')).toEqual([
      `the cab.request.decided event of request ${REQUEST_ID} (seq ${seq}) records approved, the attestation says approved_with_conditions`,
    ]);
    const mislabelled = fresh(approved);
    mislabelled.cab_decision!.status = 'auto_approved';
    expect(messages(verify(mislabelled), 'cab_decision.statement')).toEqual([
      'the attestation says approved, the bundle labels the request auto_approved',
    ]);
  });

  it('an approval hidden: the attestation or the whole member removed', () => {
    const stripped = fresh(approved);
    stripped.cab_decision!.attestation = null;
    const result = verify(stripped);
    expect(failed(result)).toEqual(['cab_decision']);
    expect(messages(result, 'cab_decision')).toEqual([
      `request ${REQUEST_ID} is approved but the bundle carries no decision attestation: it was removed`,
    ]);
    stripped.cab_decision!.status = 'pending';
    expect(messages(verify(stripped), 'cab_decision')).toEqual([
      `seq ${decidedEventSeq(approved)} records request ${REQUEST_ID} approved, but the bundle labels it pending and carries no decision attestation: it was removed`,
    ]);
    const submittedSeq = decidedEventSeq(approved) - 2;
    for (const removed of [null, undefined]) {
      const bundle = fresh(approved);
      if (removed === null) bundle.cab_decision = null;
      else delete bundle.cab_decision;
      const verdict = verify(bundle);
      expect(failed(verdict)).toEqual(['cab_decision']);
      expect(messages(verdict, 'cab_decision')).toEqual([
        `seq ${submittedSeq} records the pack's submission to the CAB as request ${REQUEST_ID}, but the bundle carries no cab_decision: it was removed`,
      ]);
    }
  });

  it('an unreadable cab_decision is a format problem, and what needs the pack is skipped', () => {
    const bundle = fresh(approved) as unknown as { cab_decision: Record<string, unknown> };
    bundle.cab_decision.extra = true;
    const result = verify(bundle);
    expect(failed(result)).toEqual(['format', 'cab_decision']);
    expect(messages(result, 'format')).toEqual(['cab_decision: Unrecognized key: "extra"']);
    expect(messages(result, 'cab_decision')).toEqual([
      'not checked: cab_decision could not be read (see format)',
    ]);
    const noPack = fresh(approved);
    (noPack.pack as unknown as Record<string, unknown>).digest = 'XYZ';
    const skipped = verify(noPack);
    expect(messages(skipped, 'cab_decision.subject')).toEqual([
      'not checked: the pack could not be read (see format)',
    ]);
    expect(messages(skipped, 'cab_decision.pack')).toEqual([
      'not checked: the pack could not be read (see format)',
    ]);
  });
});

describe('verifyBundle: properties', () => {
  it('detects any single flipped byte in any document', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: original.documents.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, at, mask) => {
          const bundle = fresh();
          const document = bundle.documents[which]!;
          const bytes = Buffer.from(document.content_base64, 'base64');
          const i = at % bytes.length;
          bytes[i] = bytes[i]! ^ mask;
          document.content_base64 = bytes.toString('base64');
          const result = verify(bundle);
          expect(result.ok).toBe(false);
          expect(failed(result)).toEqual([docPart(document.sha256)]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fails, never throws, for a body with no canonical form (a number beyond a double)', () => {
    const bundle = fresh();
    // What JSON.parse makes of an edited `"risk_score": 1e999`.
    (bundle.pack as unknown as { body: Record<string, unknown> }).body.artifact_size_bytes =
      Infinity;
    const result = verify(bundle);
    expect(result.ok).toBe(false);
    expect(failed(result)).toContain('pack.digest');
  });

  it('detects any single flipped byte in the canonical body', () => {
    const text = Buffer.from(canonicalJson(original.pack.body), 'utf8');
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, mask) => {
        const flipped = Buffer.from(text);
        flipped[i] = flipped[i]! ^ mask;
        let body: unknown;
        try {
          body = JSON.parse(flipped.toString('utf8'));
        } catch {
          return; // not JSON any more: no bundle can carry it (the CLI refuses it, exit 2)
        }
        // Some flips spell the same value (\u001F for \u001f, 1E+21 for 1e+21): the body is
        // unchanged, so it verifies, as it should.
        if (canonicalJson(body) === text.toString('utf8')) return;
        const bundle = fresh();
        (bundle.pack as { body: unknown }).body = body;
        const result = verify(bundle);
        expect(result.ok).toBe(false);
        expect(failed(result).some((p) => p === 'pack.digest' || p === 'format')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
