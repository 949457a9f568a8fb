import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../evidence/signatures/test-pki.js';
import {
  type AuthenticodeReport,
  authenticodeSummary,
  peScanReport,
  verifyAuthenticode,
} from './index.js';
import { AuthenticodeTestKit, layoutOf, scanPe, verifyPe, windowsBinary } from './test-signing.js';

let kit: AuthenticodeTestKit;
let now: Date;
let signed64: Buffer;
let signed32: Buffer;
let timestamped: Buffer;
let countersigned: Buffer;
let dual: Buffer;
let signedSha1: Buffer;

beforeAll(() => {
  kit = new AuthenticodeTestKit();
  now = new Date();
  signed64 = kit.sign(windowsBinary('x64'));
  signed32 = kit.sign(windowsBinary('ia32'), { signer: 'leaf-ec' });
  // A minute after issuance: inside every certificate's validity, whatever the clock says.
  timestamped = kit.sign(windowsBinary('x64'), { timestampAt: new Date(now.getTime() + 60_000) });
  countersigned = kit.signWithLegacyCountersignature(windowsBinary('ia32'));
  signedSha1 = kit.sign(windowsBinary('x64'), { hash: 'sha1' });
  dual = kit.sign(signedSha1, { hash: 'sha256', nest: true });
});

afterAll(() => kit.remove());

const anchors = () => [kit.rootPem];

async function verify(
  bytes: Buffer,
  at = now,
  trustAnchors = anchors(),
): Promise<AuthenticodeReport> {
  return verifyPe(bytes, { trustAnchors, now: at });
}

function primary(report: AuthenticodeReport) {
  return report.signatures[0]!;
}

/** The bytes of the primary signer's signature value inside the file. */
function signatureValueOffset(bytes: Buffer): number {
  const scan = scanPe(bytes);
  if (scan.kind !== 'signed') throw new Error('unsigned');
  const info = AsnConvert.parse(scan.image().pkcs7[0]!, ContentInfo);
  const signedData = AsnConvert.parse(info.content, SignedData);
  const value = Buffer.from(signedData.signerInfos[0]!.signature.buffer);
  const at = bytes.indexOf(value, layoutOf(bytes).tableOffset);
  if (at === -1) throw new Error('signature value not found');
  return at;
}

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

describe('verifyAuthenticode on osslsigncode-signed PE files', () => {
  it('accepts a signed 64-bit PE and reports the signer, chain and digest', async () => {
    const report = await verify(signed64);
    expect(report).toMatchObject({ format: 'pe', status: 'valid' });
    expect(report.signatures).toHaveLength(1);
    expect(primary(report)).toMatchObject({
      verdict: 'valid',
      nested: false,
      digest_algorithm: 'sha256',
      algorithm: 'RSASSA-PKCS1-v1_5-SHA256',
      signer_subject: 'CN=Acme Windows Publisher, O=Acme Corp',
      issuer: 'CN=Authenticode Test Issuing CA, O=Cabinet Tests',
      chain_valid: true,
      code_signing: true,
      trust_anchor_subject: 'CN=Authenticode Test Root, O=Cabinet Tests',
      timestamp: null,
    });
    expect(primary(report).trust_anchor_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(primary(report).validity_at).toBe(now.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('accepts a signed 32-bit PE with an ECDSA signer', async () => {
    const report = await verify(signed32);
    expect(report.status).toBe('valid');
    expect(primary(report)).toMatchObject({
      algorithm: 'ECDSA-P256-SHA256',
      signer_subject: 'CN=Acme Windows Publisher (ECDSA), O=Acme Corp',
    });
  });

  it('judges validity at the RFC 3161 timestamp, so an expired signer stays valid', async () => {
    const later = new Date(now.getTime() + 3 * DAY_MS);
    const report = await verify(timestamped, later);
    expect(report.status).toBe('valid');
    expect(primary(report).timestamp).toMatchObject({
      kind: 'rfc3161',
      authority: 'CN=Cabinet Test TSA, O=Cabinet Tests',
    });
    expect(primary(report).validity_at).toBe(primary(report).timestamp!.at);
    const untimestamped = await verify(signed64, later);
    expect(untimestamped).toMatchObject({ status: 'invalid', reason: 'certificate_expired' });
    expect(untimestamped.message).toMatch(/expired/);
  });

  it('judges validity at a legacy PKCS#9 countersignature', async () => {
    const later = new Date(now.getTime() + 3 * DAY_MS);
    const report = await verify(countersigned, later);
    expect(report.status).toBe('valid');
    expect(primary(report).timestamp).toMatchObject({
      kind: 'legacy_countersignature',
      authority: 'CN=Cabinet Test TSA, O=Cabinet Tests',
    });
  });

  it('reports both signatures of a dual-signed file (SHA-1 primary, nested SHA-256)', async () => {
    const report = await verify(dual);
    expect(report.status).toBe('valid');
    expect(report.signatures.map((s) => [s.nested, s.digest_algorithm, s.verdict])).toEqual([
      [false, 'sha1', 'valid'],
      [true, 'sha256', 'valid'],
    ]);
    expect(authenticodeSummary(report)?.authenticode).toEqual({
      format: 'pe',
      digest_algorithm: 'sha1',
      nested_signatures: 1,
    });
  });

  it('says digest_unavailable, not valid, for a SHA-1 signature when no second pass is offered', async () => {
    const report = await verifyPe(signedSha1, { trustAnchors: anchors(), now, reread: false });
    expect(report).toMatchObject({ status: 'invalid', reason: 'digest_unavailable' });
    expect((await verify(signedSha1)).status).toBe('valid');
  });

  it('says digest_mismatch when one byte of code changed after signing', async () => {
    const report = await verify(flip(signed64, layoutOf(signed64).sizeOfHeaders + 0x200));
    expect(report).toMatchObject({ status: 'invalid', reason: 'digest_mismatch' });
    expect(report.message).toMatch(/changed after signing/);
  });

  it('covers data after the sections (an installer overlay), streamed in small chunks', async () => {
    const large = readFileSync(kit.largeSignedPe(3 * 1024 * 1024));
    expect((await verify(large)).status).toBe('valid');
    const scan = scanPe(large, [1000, 7, 65_536]);
    expect(scan.kind).toBe('signed');
    const overlayByte = layoutOf(large).sectionsEnd + 1024 * 1024;
    const report = await verify(flip(large, overlayByte));
    expect(report).toMatchObject({ status: 'invalid', reason: 'digest_mismatch' });
  });

  it('stays valid when only the CheckSum changed: the format excludes it from the digest', async () => {
    const tampered = Buffer.from(signed64);
    tampered.writeUInt32LE(0x12345678, layoutOf(signed64).checksumOffset);
    expect((await verify(tampered)).status).toBe('valid');
  });

  it('says signature_mismatch when a byte of the signature value in the certificate table changed', async () => {
    const report = await verify(flip(signed64, signatureValueOffset(signed64) + 10));
    expect(report).toMatchObject({ status: 'invalid', reason: 'signature_mismatch' });
  });

  it('says digest_mismatch when the signed digest inside the PKCS#7 changed', async () => {
    const scan = scanPe(signed64);
    if (scan.kind !== 'signed') throw new Error('unsigned');
    const digest = await scan.image().digest('sha256');
    const at = signed64.indexOf(digest, layoutOf(signed64).tableOffset);
    expect(at).toBeGreaterThan(0);
    const report = await verify(flip(signed64, at));
    expect(report).toMatchObject({ status: 'invalid', reason: 'digest_mismatch' });
  });

  it('says malformed_signature when the PKCS#7 structure itself is broken', async () => {
    const report = await verify(flip(signed64, layoutOf(signed64).tableOffset + 8 + 5));
    expect(report.status).toBe('invalid');
    expect(report.reason).toBe('malformed_signature');
    expect(report.message).toBeTruthy();
  });

  it('says untrusted_root when the chain ends elsewhere', async () => {
    const report = await verify(signed64, now, [kit.otherRootPem]);
    expect(report).toMatchObject({ status: 'invalid', reason: 'untrusted_root' });
    expect(primary(report)).toMatchObject({ chain_valid: false, trust_anchor_subject: null });
    expect(primary(report).signer_subject).toBe('CN=Acme Windows Publisher, O=Acme Corp');
    expect(authenticodeSummary(report)).toBeNull();
  });

  it('says no_trust_anchors when none is configured', async () => {
    const report = await verify(signed64, now, []);
    expect(report).toMatchObject({ status: 'invalid', reason: 'no_trust_anchors' });
  });

  it('says not_code_signing for a signer without the code-signing EKU', async () => {
    const report = await verify(kit.sign(windowsBinary('x64'), { signer: 'leaf-no-eku' }));
    expect(report).toMatchObject({ status: 'invalid', reason: 'not_code_signing' });
    expect(primary(report).code_signing).toBe(false);
  });

  it('says timestamp_invalid when the timestamp is for an instant outside the TSA certificate', async () => {
    const before = kit.sign(windowsBinary('x64'), {
      timestampAt: new Date(now.getTime() - 30 * DAY_MS),
    });
    const report = await verify(before);
    expect(report).toMatchObject({ status: 'invalid', reason: 'timestamp_invalid' });
    expect(report.message).toMatch(/not valid before/);
  });

  it('reports an unsigned image and PE scans that found no signature', async () => {
    expect(
      await verifyAuthenticode(
        { format: 'msi', pkcs7: [], digest: async () => Buffer.alloc(32) },
        { trustAnchors: anchors(), now },
      ),
    ).toEqual({ format: 'msi', status: 'unsigned', signatures: [] });
    expect(peScanReport(scanPe(Buffer.from('plain text')))).toBeNull();
    expect(peScanReport(scanPe(signed64.subarray(0, signed64.length - 10)))).toMatchObject({
      status: 'invalid',
      reason: 'certificate_table_invalid',
    });
  });

  it('never throws for garbage where the PKCS#7 should be', async () => {
    const garbage = [
      Buffer.alloc(0),
      Buffer.from([0x30, 0x82, 0xff]),
      Buffer.from('not DER at all'),
    ];
    const report = await verifyAuthenticode(
      { format: 'pe', pkcs7: garbage, digest: async () => Buffer.alloc(32) },
      { trustAnchors: anchors(), now },
    );
    expect(report.status).toBe('invalid');
    expect(report.signatures.map((s) => s.verdict)).toEqual([
      'malformed_signature',
      'malformed_signature',
      'malformed_signature',
    ]);
  });

  it('summarises a valid timestamped signature for the evidence record', async () => {
    const summary = authenticodeSummary(await verify(timestamped));
    expect(summary).toMatchObject({
      method: 'authenticode',
      signer_subject: 'CN=Acme Windows Publisher, O=Acme Corp',
      chain_valid: true,
      code_signing: true,
      signature_valid: true,
      valid_at_signing_time: true,
      algorithm: 'RSASSA-PKCS1-v1_5-SHA256',
      timestamp: { kind: 'rfc3161', authority: 'CN=Cabinet Test TSA, O=Cabinet Tests' },
      authenticode: { format: 'pe', digest_algorithm: 'sha256', nested_signatures: 0 },
    });
  });
});
