import { BadRequestError } from '../../platform/errors.js';
import { type ParsedCertificate, parseCertificateDer, parseCertificatePem } from './certificate.js';
import { isSha256Hex } from './encoding.js';
import { signatureFailure } from './failures.js';

/** The artifact digest as cabinet stores it: 64 lowercase hex characters. */
export function artifactDigest(value: string): string {
  const digest = value.toLowerCase();
  if (!isSha256Hex(digest)) {
    throw new BadRequestError(
      'The artifact digest must be a SHA-256 written as 64 hex characters.',
      [{ path: 'artifact_sha256', message: 'not 64 hex characters' }],
      'invalid_artifact_digest',
    );
  }
  return digest;
}

/** An invalid Date compares false with everything and would pass every validity check. */
export function verificationInstant(at: Date): Date {
  if (Number.isNaN(at.getTime()))
    throw new TypeError('The verification instant is not a valid Date.');
  return at;
}

/**
 * Anchors come from cabinet's own store, where describeTrustAnchor already vetted them, so
 * one that no longer parses is a server fault (plain Error → 500), not the uploader's.
 */
export function trustAnchors(pems: string[]): ParsedCertificate[] {
  if (pems.length === 0) {
    throw signatureFailure(
      'no_trust_anchors',
      'No trust anchors are configured, so no signature can be trusted; an admin must add ' +
        'the root certificate of the signing CA first.',
    );
  }
  return pems.map((pem, i) => {
    const anchor = parseCertificatePem(pem);
    if (!anchor) throw new Error(`Configured trust anchor ${i} is not a PEM X.509 certificate.`);
    return anchor;
  });
}

/** Parses the uploaded certificates (PEM text or DER bytes), failing with a located error. */
export function uploadedCertificates(
  encoded: Array<string | Buffer>,
  pathOf: (index: number) => string,
): ParsedCertificate[] {
  if (encoded.length === 0) {
    throw signatureFailure(
      'malformed_certificate',
      'The certificate chain is empty: it must hold at least the signing certificate.',
      pathOf(0),
    );
  }
  return encoded.map((item, i) => {
    const cert = typeof item === 'string' ? parseCertificatePem(item) : parseCertificateDer(item);
    if (!cert) {
      throw signatureFailure(
        'malformed_certificate',
        `Certificate ${i + 1} of the chain is not a ${typeof item === 'string' ? 'PEM-encoded ' : ''}` +
          'X.509 certificate.',
        pathOf(i),
      );
    }
    return cert;
  });
}
