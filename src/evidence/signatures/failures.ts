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
  | 'no_trust_anchors';

export function signatureFailure(
  reason: SignatureFailureReason,
  message: string,
  path = '',
): InvalidDocumentError {
  return new InvalidDocumentError(message, [{ path, message }], reason);
}
