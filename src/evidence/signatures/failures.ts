import { InvalidDocumentError } from '../../platform/errors.js';

/** Every reason a signature item can be refused with; clients switch on these. */
export type SignatureFailureReason =
  | 'signature_mismatch'
  | 'untrusted_root'
  | 'certificate_expired'
  | 'certificate_not_yet_valid'
  | 'not_code_signing'
  | 'chain_invalid'
  | 'malformed_certificate'
  | 'malformed_signature'
  | 'malformed_bundle'
  | 'unsupported_algorithm'
  | 'unsupported_bundle'
  | 'no_trust_anchors'
  /** A keyless (Fulcio) bundle, and no Sigstore trusted root is configured. */
  | 'no_sigstore_root'
  /** A transparency-log entry whose inclusion proof, checkpoint or SET does not verify, whose log is not in the trusted root, or which records another signature or digest. */
  | 'tlog_invalid'
  /** A Certificate Transparency SCT that does not verify against a CT log of the trusted root. */
  | 'ct_invalid'
  /** An RFC 3161 timestamp that does not verify against a TSA of the trusted root. */
  | 'timestamp_invalid';

export function signatureFailure(
  reason: SignatureFailureReason,
  message: string,
  path = '',
): InvalidDocumentError {
  return new InvalidDocumentError(message, [{ path, message }], reason);
}
