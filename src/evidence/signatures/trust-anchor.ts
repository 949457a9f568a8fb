import { BadRequestError } from '../../platform/errors.js';
import { formatInstant, parseCertificatePem } from './certificate.js';

export interface TrustAnchorDescription {
  subject: string;
  /** SHA-256 of the DER encoding, lowercase hex: the anchor's identity in summaries. */
  sha256_fingerprint: string;
  not_before: string;
  not_after: string;
  is_ca: boolean;
}

/**
 * Vets a PEM certificate an admin wants to trust and describes it. It must be a CA
 * (basicConstraints cA): a trust anchor issues certificates. It need not be self-signed, so an
 * organisation may trust one issuing CA below a broader root.
 */
export function describeTrustAnchor(pem: string): TrustAnchorDescription {
  const cert = parseCertificatePem(pem);
  if (!cert) {
    throw new BadRequestError(
      'The trust anchor is not a PEM-encoded X.509 certificate.',
      [{ path: '', message: 'expected one -----BEGIN CERTIFICATE----- block' }],
      'malformed_certificate',
    );
  }
  if (!cert.isCa) {
    throw new BadRequestError(
      `${cert.subject} is not a CA certificate (basicConstraints cA is missing), so it cannot ` +
        'anchor a certificate chain.',
      [{ path: '', message: 'not a CA certificate' }],
      'not_a_ca',
    );
  }
  return {
    subject: cert.subject,
    sha256_fingerprint: cert.sha256,
    not_before: formatInstant(cert.notBefore),
    not_after: formatInstant(cert.notAfter),
    is_ca: true,
  };
}
