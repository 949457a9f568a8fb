import { isIssuedBy, type ParsedCertificate } from '../../evidence/signatures/certificate.js';
import { type VerifiedChain, verifyChain } from '../../evidence/signatures/chain.js';
import { trustAnchors } from '../../evidence/signatures/inputs.js';
import { DomainError } from '../../platform/errors.js';
import type { AuthenticodeFailureReason } from './verdict.js';
import { Verdict } from './verdict.js';

export const TIME_STAMPING_OID = '1.3.6.1.5.5.7.3.8';

/**
 * SignedData carries its certificates as an unordered set; verifyChain wants leaf first,
 * each issued by the next. Follows issuers from the leaf; what does not link is left out.
 */
export function orderFromLeaf(
  leaf: ParsedCertificate,
  pool: ParsedCertificate[],
): ParsedCertificate[] {
  const chain = [leaf];
  const unused = pool.filter((cert) => !cert.der.equals(leaf.der));
  for (;;) {
    const current = chain[chain.length - 1]!;
    if (current.subject === current.issuer && isIssuedBy(current, current)) break;
    const index = unused.findIndex((cert) => isIssuedBy(current, cert));
    if (index === -1) break;
    chain.push(unused[index]!);
    unused.splice(index, 1);
  }
  return chain;
}

/** The configured anchors, or the `no_trust_anchors` verdict. A stored anchor that does not parse stays a server fault. */
export function anchorsOrVerdict(pems: string[]): ParsedCertificate[] {
  return rethrowAsVerdict(() => trustAnchors(pems));
}

export function codeSigningChain(
  certificates: ParsedCertificate[],
  anchors: ParsedCertificate[],
  at: Date,
): VerifiedChain {
  return rethrowAsVerdict(() => verifyChain({ certificates, anchors, at, pathOf: () => '' }));
}

/**
 * A TSA chain: trust and validity as for code signing, but the leaf must carry the
 * timeStamping EKU (RFC 3161 §2.3). verifyChain checks trust, path length and validity
 * before the code-signing purpose, so its `not_code_signing` verdict means all else held.
 */
export function timeStampingChain(
  certificates: ParsedCertificate[],
  anchors: ParsedCertificate[],
  at: Date,
): void {
  try {
    verifyChain({ certificates, anchors, at, pathOf: () => '' });
  } catch (error) {
    if (!(error instanceof DomainError) || error.reason !== 'not_code_signing') {
      throw asTimestampVerdict(error);
    }
  }
  const leaf = certificates[0]!;
  if (!leaf.extendedKeyUsages?.includes(TIME_STAMPING_OID)) {
    throw new Verdict(
      'timestamp_invalid',
      `The timestamping certificate ${leaf.subject} lacks the timeStamping extended key usage (${TIME_STAMPING_OID}).`,
    );
  }
}

function asTimestampVerdict(error: unknown): unknown {
  if (error instanceof DomainError) {
    return new Verdict('timestamp_invalid', `The timestamp's certificate chain: ${error.message}`);
  }
  return error;
}

function rethrowAsVerdict<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof DomainError && error.reason !== undefined) {
      throw new Verdict(error.reason as AuthenticodeFailureReason, error.message);
    }
    throw error;
  }
}
