import { createHash, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../platform/errors.js';
import { verifySigstoreBundle } from './sigstore.js';
import { parseSigstoreTrustedRoot } from './sigstore-roots.js';
import {
  type Authority,
  authority,
  createSigstoreTestInstance,
  GITHUB_ISSUER,
  logKey,
  type SigstoreTestInstance,
  type TestLeaf,
  V01,
  V02,
  WORKFLOW_SAN,
} from './sigstore-test-instance.js';
import type { TestLogKey } from './sigstore-test-log.js';
import type { SigstoreBundleInput } from './types.js';

const T0 = new Date('2026-03-01T12:00:00Z');
const MINUTE = 60_000;
const artifact = Buffer.from('cabinet keyless test artifact');
const digest = createHash('sha256').update(artifact).digest('hex');
const otherDigest = createHash('sha256').update('another artifact').digest('hex');
const FULCIO_ROOT = 'CN=Cabinet Test Fulcio Root, O=Cabinet Sigstore Tests';

let sigstore: SigstoreTestInstance;
let leaf: TestLeaf;
let otherRekor: TestLogKey;
let otherFulcio: Authority;

beforeAll(async () => {
  sigstore = await createSigstoreTestInstance(T0);
  leaf = await sigstore.issue();
  otherRekor = await logKey('other-rekor', 'rekor');
  otherFulcio = await authority('Another Fulcio Root');
});

function verify(bundle: unknown, overrides: Partial<SigstoreBundleInput> = {}) {
  return verifySigstoreBundle({
    artifactSha256: digest,
    bundle,
    trustAnchors: [],
    trustedRoots: [sigstore.trustedRoot()],
    // Long after the 10-minute certificate expired: keyless validity is judged at the
    // log's or the TSA's time, never at the verification instant.
    at: new Date('2027-01-01T00:00:00Z'),
    ...overrides,
  });
}

function failure(run: () => unknown, reason: string): InvalidDocumentError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDocumentError);
    const domain = error as InvalidDocumentError;
    expect({ reason: domain.reason, message: domain.message }).toMatchObject({ reason });
    return domain;
  }
  throw new Error(`expected a ${reason} failure`);
}

describe('keyless bundles verified against a Sigstore trusted root', () => {
  it('verifies a v0.3 message signature logged in Rekor, and reports identity and log time', () => {
    expect(verify(sigstore.messageBundle(leaf, artifact))).toEqual({
      method: 'sigstore',
      signer_subject: WORKFLOW_SAN,
      issuer: 'CN=Cabinet Test Fulcio Intermediate, O=Cabinet Sigstore Tests',
      serial_number: expect.stringMatching(/^[0-9a-f]+$/),
      not_before: '2026-03-01T12:00:00Z',
      not_after: '2026-03-01T12:10:00Z',
      algorithm: 'ECDSA-P256-SHA256',
      chain_valid: true,
      code_signing: true,
      signature_valid: true,
      valid_at_signing_time: true,
      trust_anchor_subject: FULCIO_ROOT,
      trust_anchor_sha256: createHash('sha256')
        .update(Buffer.from(sigstore.fulcioRoot.cert.rawData))
        .digest('hex'),
      timestamp: {
        kind: 'tlog',
        at: '2026-03-01T12:01:00Z',
        authority: sigstore.rekor.logId.toString('hex'),
      },
      identity: { san: WORKFLOW_SAN, issuer: GITHUB_ISSUER },
    });
  });

  it('verifies a v0.3 DSSE attestation naming the artifact, logged as a dsse entry', () => {
    const summary = verify(sigstore.dsseBundle(leaf, digest));
    expect(summary).toMatchObject({ algorithm: 'ECDSA-P256-SHA256', signature_valid: true });
    expect(summary.identity).toEqual({ san: WORKFLOW_SAN, issuer: GITHUB_ISSUER });
  });

  it('verifies v0.1 (SET only) and v0.2 (inclusion proof and SET) bundles carrying the chain', () => {
    expect(verify(sigstore.messageBundle(leaf, artifact, { mediaType: V01 })).signature_valid).toBe(
      true,
    );
    expect(verify(sigstore.messageBundle(leaf, artifact, { mediaType: V02 })).signature_valid).toBe(
      true,
    );
    expect(verify(sigstore.dsseBundle(leaf, digest, { mediaType: V02 })).signature_valid).toBe(
      true,
    );
  });

  it('uses an RFC 3161 timestamp, with no log entry (GitHub private-repository attestations)', () => {
    const at = new Date(T0.getTime() + 2 * MINUTE);
    const summary = verify(sigstore.dsseBundle(leaf, digest, { tlog: false, tsaAt: at }));
    expect(summary.timestamp).toEqual({
      kind: 'rfc3161',
      at: '2026-03-01T12:02:00Z',
      authority: 'CN=Cabinet Test TSA, O=Cabinet Sigstore Tests',
    });
  });

  it('accepts an inclusion proof without SET when a TSA says when (Rekor v2 style)', () => {
    const bundle = sigstore.messageBundle(leaf, artifact, {
      tlog: { promise: false },
      tsaAt: new Date(T0.getTime() + MINUTE),
    });
    expect(verify(bundle).timestamp?.kind).toBe('rfc3161');
  });

  it('reads the legacy OIDC-issuer extension and email identities', async () => {
    const legacy = await sigstore.issue({
      issuerExtension: 'v1',
      san: { type: 'email', value: 'release@contoso.example' },
    });
    expect(verify(sigstore.messageBundle(legacy, artifact)).identity).toEqual({
      san: 'release@contoso.example',
      issuer: GITHUB_ISSUER,
    });
  });

  it('verifies a keyed bundle (a CA certificate with a subject, no SCT) logged in Rekor', async () => {
    const keyed = await sigstore.issue({
      subject: 'CN=Contoso Release Signing, O=Contoso Ltd',
      sct: false,
      issuerExtension: 'none',
      lifetimeMs: 365 * 86_400_000,
    });
    const summary = verify(sigstore.messageBundle(keyed, artifact));
    expect(summary).toMatchObject({
      signer_subject: 'CN=Contoso Release Signing, O=Contoso Ltd',
      trust_anchor_subject: FULCIO_ROOT,
      timestamp: { kind: 'tlog' },
    });
    expect(summary.identity).toBeUndefined();
  });

  it('reads the legacy v0.3 media type', () => {
    const bundle = {
      ...sigstore.messageBundle(leaf, artifact),
      mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.3',
    };
    expect(verify(bundle).signature_valid).toBe(true);
  });

  it('verifies when one of several configured roots accepts the bundle', () => {
    const unrelated = sigstore.trustedRoot({ fulcio: [otherFulcio], tlogs: [otherRekor] });
    const summary = verify(sigstore.messageBundle(leaf, artifact), {
      trustedRoots: [unrelated, sigstore.trustedRoot()],
    });
    expect(summary.trust_anchor_subject).toBe(FULCIO_ROOT);
  });
});

describe('keyless bundles: refusals', () => {
  it('refuses a keyless bundle when no trusted root is configured, saying how to add one', () => {
    const error = failure(
      () => verify(sigstore.messageBundle(leaf, artifact), { trustedRoots: [] }),
      'no_sigstore_root',
    );
    expect(error.message).toContain('cabinet sigstore-roots add FILE');
    expect(error.message).toContain(WORKFLOW_SAN);
  });

  it('refuses a short-lived certificate with no timestamp at all', () => {
    const error = failure(
      () => verify(sigstore.messageBundle(leaf, artifact, { tlog: false })),
      'certificate_expired',
    );
    expect(error.message).toContain('no proof of when it signed');
    // An inclusion proof alone vouches for no time either.
    failure(
      () => verify(sigstore.messageBundle(leaf, artifact, { tlog: { promise: false } })),
      'certificate_expired',
    );
  });

  it('refuses a certificate that was not valid at the log’s or the TSA’s time', () => {
    const late = Math.floor((T0.getTime() + 20 * MINUTE) / 1000);
    const logged = sigstore.messageBundle(leaf, artifact, { tlog: { integratedTime: late } });
    expect(failure(() => verify(logged), 'certificate_expired').message).toContain(
      '2026-03-01T12:20:00Z',
    );
    const stamped = sigstore.messageBundle(leaf, artifact, {
      tlog: false,
      tsaAt: new Date(T0.getTime() + 60 * MINUTE),
    });
    failure(() => verify(stamped), 'certificate_expired');
  });

  it('refuses log times out of range without crashing', () => {
    const bundle = sigstore.messageBundle(leaf, artifact, { tlog: { integratedTime: 1e17 } });
    expect(failure(() => verify(bundle), 'tlog_invalid').message).toContain('outside the range');
  });

  it('refuses a tampered inclusion proof', () => {
    const withSet = sigstore.messageBundle(leaf, artifact, { tlog: { tamperProof: true } });
    const error = failure(() => verify(withSet), 'tlog_invalid');
    expect(error.message).toContain('calculated root hash does not match');
    expect(error.errors[0]!.path).toBe('/verificationMaterial/tlogEntries');
  });

  it('refuses a SET that does not cover the entry as bundled', () => {
    const bundle = sigstore.messageBundle(leaf, artifact, { mediaType: V01 });
    const entry = bundle.verificationMaterial.tlogEntries[0] as Record<string, unknown>;
    entry.logIndex = '6';
    expect(failure(() => verify(bundle), 'tlog_invalid').message).toContain(
      'signed entry timestamp does not verify',
    );
  });

  it('refuses an entry from a log that is not in the trusted root', () => {
    // v0.1: the SET names the log; v0.2 proof only + TSA: the checkpoint's signer.
    failure(
      () =>
        verify(
          sigstore.messageBundle(leaf, artifact, { mediaType: V01, tlog: { log: otherRekor } }),
        ),
      'tlog_invalid',
    );
    const proofOnly = sigstore.messageBundle(leaf, artifact, {
      tlog: { log: otherRekor, promise: false },
      tsaAt: new Date(T0.getTime() + MINUTE),
    });
    expect(failure(() => verify(proofOnly), 'tlog_invalid').message).toContain(
      'invalid checkpoint signature',
    );
  });

  it('refuses a log entry that records another artifact', () => {
    const bundle = sigstore.messageBundle(leaf, artifact, { tlog: { bodyDigest: otherDigest } });
    expect(failure(() => verify(bundle), 'tlog_invalid').message).toContain('digest mismatch');
  });

  it('refuses a bundle about another artifact', () => {
    const error = failure(
      () => verify(sigstore.messageBundle(leaf, artifact), { artifactSha256: otherDigest }),
      'signature_mismatch',
    );
    expect(error.errors[0]!.path).toBe('/messageSignature/messageDigest/digest');
    failure(
      () => verify(sigstore.dsseBundle(leaf, digest, { subjects: [otherDigest] })),
      'signature_mismatch',
    );
  });

  it('refuses a signature made with another key than the certificate’s', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bundle = sigstore.messageBundle(leaf, artifact, { signWith: privateKey });
    failure(() => verify(bundle), 'signature_mismatch');
  });

  it('refuses a bundle with an unknown media type', () => {
    const bundle = {
      ...sigstore.messageBundle(leaf, artifact),
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.9+json',
    };
    const error = failure(() => verify(bundle), 'unsupported_bundle');
    expect(error.errors[0]!.path).toBe('/mediaType');
  });

  it('refuses a certificate from a CA the trusted root does not contain', () => {
    const root = sigstore.trustedRoot({ fulcio: [otherFulcio] });
    const error = failure(
      () => verify(sigstore.messageBundle(leaf, artifact), { trustedRoots: [root] }),
      'untrusted_root',
    );
    expect(error.message).toContain('cabinet sigstore-roots add FILE');
  });

  it('refuses a certificate that does not allow code signing', async () => {
    const server = await sigstore.issue({ noCodeSigning: true });
    failure(() => verify(sigstore.messageBundle(server, artifact)), 'not_code_signing');
  });

  it('refuses an SCT the root’s CT logs did not sign', async () => {
    const forged = await sigstore.issue({ sct: 'forge' });
    failure(() => verify(sigstore.messageBundle(forged, artifact)), 'ct_invalid');
    const noCt = sigstore.trustedRoot({ ctlogs: [] });
    failure(
      () => verify(sigstore.messageBundle(leaf, artifact), { trustedRoots: [noCt] }),
      'ct_invalid',
    );
  });

  it('refuses RFC 3161 timestamps the root’s TSAs did not sign, or that do not parse', () => {
    const bundle = sigstore.messageBundle(leaf, artifact, {
      tlog: false,
      tsaAt: new Date(T0.getTime() + MINUTE),
    });
    failure(
      () => verify(bundle, { trustedRoots: [sigstore.trustedRoot({ tsa: false })] }),
      'timestamp_invalid',
    );
    const garbage = sigstore.messageBundle(leaf, artifact);
    Object.assign(garbage.verificationMaterial, {
      timestampVerificationData: {
        rfc3161Timestamps: [{ signedTimestamp: Buffer.from('garbage').toString('base64') }],
      },
    });
    failure(() => verify(garbage), 'timestamp_invalid');
  });
});

describe('parseSigstoreTrustedRoot', () => {
  it('describes a usable root', () => {
    expect(parseSigstoreTrustedRoot(sigstore.trustedRoot())).toEqual({
      media_type: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      certificate_authorities: ['CN=Cabinet Test Fulcio Intermediate, O=Cabinet Sigstore Tests'],
      tlogs: [
        {
          base_url: 'https://rekor.rekor.cabinet.test',
          log_id: sigstore.rekor.logId.toString('hex'),
        },
      ],
      ctlogs: [
        { base_url: 'https://ctfe.ct.cabinet.test', log_id: sigstore.ctlog.logId.toString('hex') },
      ],
      timestamp_authorities: ['CN=Cabinet Test TSA, O=Cabinet Sigstore Tests'],
    });
  });

  it('refuses roots that cannot be used, as a located document error', () => {
    const root = sigstore.trustedRoot();
    const badCert = {
      ...root,
      certificateAuthorities: [
        {
          ...root.certificateAuthorities[0],
          certChain: { certificates: [{ rawBytes: 'Z2FyYmFnZQ==' }] },
        },
      ],
    };
    const badKey = {
      ...root,
      tlogs: [{ ...root.tlogs[0], publicKey: { rawBytes: 'Z2FyYmFnZQ==' } }],
    };
    let deep: unknown = 'x';
    for (let i = 0; i < 50; i++) deep = { tlogs: deep };
    for (const bad of [null, [], 'root', { tlogs: [] }, badCert, badKey, deep]) {
      failure(() => parseSigstoreTrustedRoot(bad), 'invalid_trusted_root');
    }
  });
});
