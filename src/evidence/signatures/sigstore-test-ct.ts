/**
 * Test support only: a Certificate Transparency log's SCT, embedded as Fulcio embeds it. The
 * log signs the precertificate (issuer key hash + the TBS without the SCT extension), exactly
 * what @sigstore/verify rebuilds in dist/key/sct.js.
 */
import { createHash, sign } from 'node:crypto';
import type { TestLogKey } from './sigstore-test-log.js';

/** An SCT list extension value (RFC 6962 §3.3), its one SCT signed over the precertificate. */
export function signedCertificateTimestamp(
  log: TestLogKey,
  tbs: Buffer,
  issuerSpki: Buffer,
  at: Date,
): Buffer {
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(at.getTime()));
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
  const signed = Buffer.concat([
    Buffer.from([0, 0]), // v1, certificate_timestamp
    timestamp,
    u16(1), // precert_entry
    createHash('sha256').update(issuerSpki).digest(),
    u24(tbs.length),
    tbs,
    u16(0), // no extensions
  ]);
  const signature = sign('sha256', signed, log.privateKey);
  const sct = Buffer.concat([
    Buffer.from([0]),
    log.logId,
    timestamp,
    u16(0),
    Buffer.from([4, 3]), // sha256, ecdsa
    u16(signature.length),
    signature,
  ]);
  const list = Buffer.concat([u16(sct.length + 2), u16(sct.length), sct]);
  // extnValue holds an OCTET STRING wrapping the TLS-encoded list.
  return Buffer.concat([Buffer.from([0x04]), derLength(list.length), list]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  return n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
}
