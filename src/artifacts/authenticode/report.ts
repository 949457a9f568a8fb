import type { DigestAlgorithm } from './excluding-hasher.js';
import type { AuthenticodeFailureReason } from './verdict.js';

export interface AuthenticodeSignatureReport {
  verdict: 'valid' | AuthenticodeFailureReason;
  message: string;
  /** False for the primary signature (and further certificate-table entries), true for those nested in its unsigned attributes. */
  nested: boolean;
  digest_algorithm: DigestAlgorithm | null;
  /** Scheme that verified, e.g. `RSASSA-PKCS1-v1_5-SHA256`; null until the signature verified. */
  algorithm: string | null;
  signer_subject: string | null;
  issuer: string | null;
  serial_number: string | null;
  not_before: string | null;
  not_after: string | null;
  chain_valid: boolean;
  /** The signing certificate carries the codeSigning EKU (whether or not the chain is trusted). */
  code_signing: boolean;
  trust_anchor_subject: string | null;
  trust_anchor_sha256: string | null;
  timestamp: { kind: 'rfc3161' | 'legacy_countersignature'; at: string; authority: string } | null;
  /** The instant certificate validity was judged at: the timestamp's, else `now`. */
  validity_at: string | null;
}

export interface AuthenticodeReport {
  format: 'pe' | 'msi';
  /** The primary signature's verdict; `unsigned` when the file carries none. */
  status: 'valid' | 'invalid' | 'unsigned';
  reason?: AuthenticodeFailureReason;
  message?: string;
  /** Primary first, then the nested ones and any further certificate-table entries. */
  signatures: AuthenticodeSignatureReport[];
}

export function emptySignatureReport(nested: boolean): AuthenticodeSignatureReport {
  return {
    verdict: 'malformed_signature',
    message: '',
    nested,
    digest_algorithm: null,
    algorithm: null,
    signer_subject: null,
    issuer: null,
    serial_number: null,
    not_before: null,
    not_after: null,
    chain_valid: false,
    code_signing: false,
    trust_anchor_subject: null,
    trust_anchor_sha256: null,
    timestamp: null,
    validity_at: null,
  };
}
