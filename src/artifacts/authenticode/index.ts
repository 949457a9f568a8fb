/**
 * Authenticode: the signature Windows binaries and installers carry inside the file.
 * `createPeHasher` runs in the upload pass; `verifyAuthenticode` judges any located image
 * (PE here, MSI from the msi-* reader); `authenticodeSummary` turns a valid report into the
 * evidence record's SignatureSummary.
 */
import { trustAnchors } from '../../evidence/signatures/inputs.js';
import type { SignatureSummary } from '../../evidence/signatures/types.js';
import type { PeScan } from './authenticode-hasher.js';
import { verifySignedDataBlob } from './authenticode-signature.js';
import type { AuthenticodeReport } from './report.js';
import type { SignedImage } from './signed-image.js';

export {
  createPeHasher,
  MAX_CERTIFICATE_TABLE,
  type PeHasher,
  type PeHasherOptions,
  type PeScan,
} from './authenticode-hasher.js';
export type { DigestAlgorithm } from './excluding-hasher.js';
export type { AuthenticodeReport, AuthenticodeSignatureReport } from './report.js';
export type { SignedImage } from './signed-image.js';
export type { AuthenticodeFailureReason } from './verdict.js';

/** Certificate-table entries examined; real files carry one. */
export const MAX_TABLE_ENTRIES = 4;

export interface VerifyAuthenticodeOptions {
  /** PEM trust anchors, as the x509 verifier takes them. */
  trustAnchors: string[];
  now: Date;
}

/**
 * Never throws for bad input: every problem of the file or its signature is a verdict in
 * the report. A configured trust anchor that no longer parses is a server fault and throws.
 */
export async function verifyAuthenticode(
  image: SignedImage,
  options: VerifyAuthenticodeOptions,
): Promise<AuthenticodeReport> {
  if (Number.isNaN(options.now.getTime()))
    throw new TypeError('The verification instant is not a valid Date.');
  if (image.pkcs7.length === 0) return { format: image.format, status: 'unsigned', signatures: [] };
  const anchors = options.trustAnchors.length === 0 ? [] : trustAnchors(options.trustAnchors);
  const context = { image, anchors, now: options.now };
  const signatures = [];
  // Further certificate-table entries are appended after the primary, never promoted.
  for (const der of image.pkcs7.slice(0, MAX_TABLE_ENTRIES)) {
    signatures.push(...(await verifySignedDataBlob(der, context, false)));
  }
  const primary = signatures[0]!;
  if (primary.verdict === 'valid') return { format: image.format, status: 'valid', signatures };
  return {
    format: image.format,
    status: 'invalid',
    reason: primary.verdict,
    message: primary.message,
    signatures,
  };
}

/**
 * The report for a PE scan that found no verifiable image: null when the file is not a PE
 * (not Authenticode's business), else an `unsigned` or `invalid` report.
 */
export function peScanReport(scan: PeScan): AuthenticodeReport | null {
  switch (scan.kind) {
    case 'not_pe':
    case 'signed':
      return null;
    case 'unsigned':
      return { format: 'pe', status: 'unsigned', signatures: [] };
    case 'invalid':
      return {
        format: 'pe',
        status: 'invalid',
        reason: scan.reason,
        message: scan.message,
        signatures: [],
      };
  }
}

/** The evidence summary of a valid primary signature; null when the report is not valid. */
export function authenticodeSummary(report: AuthenticodeReport): SignatureSummary | null {
  const primary = report.signatures[0];
  if (report.status !== 'valid' || !primary || primary.verdict !== 'valid') return null;
  const summary: SignatureSummary = {
    method: 'authenticode',
    signer_subject: primary.signer_subject!,
    issuer: primary.issuer!,
    serial_number: primary.serial_number!,
    not_before: primary.not_before!,
    not_after: primary.not_after!,
    algorithm: primary.algorithm!,
    chain_valid: true,
    code_signing: true,
    signature_valid: true,
    valid_at_signing_time: true,
    trust_anchor_subject: primary.trust_anchor_subject!,
    trust_anchor_sha256: primary.trust_anchor_sha256!,
    authenticode: {
      format: report.format,
      digest_algorithm: primary.digest_algorithm!,
      nested_signatures: report.signatures.filter((signature) => signature.nested).length,
    },
  };
  if (primary.timestamp) summary.timestamp = { ...primary.timestamp };
  return summary;
}
