import type { SignatureFailureReason } from '../../evidence/signatures/failures.js';

/** Why an Authenticode signature (or the file that should carry one) did not verify. */
export type AuthenticodeFailureReason =
  | Extract<
      SignatureFailureReason,
      | 'signature_mismatch'
      | 'untrusted_root'
      | 'certificate_expired'
      | 'certificate_not_yet_valid'
      | 'not_code_signing'
      | 'chain_invalid'
      | 'malformed_certificate'
      | 'malformed_signature'
      | 'unsupported_algorithm'
      | 'no_trust_anchors'
      | 'timestamp_invalid'
    >
  /** The file's Authenticode digest differs from the signed one: it changed after signing. */
  | 'digest_mismatch'
  /** The digest for the signed algorithm could not be computed (no second pass was offered). */
  | 'digest_unavailable'
  /** The PE certificate table is cut, misplaced, or holds no PKCS#7 entry. */
  | 'certificate_table_invalid'
  /** The PE headers are cut short or inconsistent. */
  | 'malformed_pe'
  /** The MSI compound file or its signature stream could not be read. */
  | 'malformed_msi'
  /** The file is larger than cabinet reads to verify its signature (MSI: held in memory). */
  | 'too_large_to_verify';

/**
 * Internal control flow: thrown inside one signature's checks and turned into data at the
 * boundary (verifyAuthenticode never throws for bad input).
 */
export class Verdict extends Error {
  constructor(
    readonly reason: AuthenticodeFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** Untrusted text goes into messages flat and short. */
export function quote(text: string): string {
  const flat = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(flat.length > 120 ? `${flat.slice(0, 120)}…` : flat);
}
