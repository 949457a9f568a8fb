import {
  CODE_SIGNING_OID,
  DIGITAL_SIGNATURE_FLAG,
  formatInstant,
  isIssuedBy,
  type ParsedCertificate,
} from './certificate.js';
import { signatureFailure } from './failures.js';

export interface ChainInput {
  /** The certificates the document carries, leaf first, each signed by the next. */
  certificates: ParsedCertificate[];
  anchors: ParsedCertificate[];
  at: Date;
  /** JSON pointer of certificate `index` in the uploaded document, for located errors. */
  pathOf: (index: number) => string;
}

export interface VerifiedChain {
  leaf: ParsedCertificate;
  /** Leaf … trust anchor, inclusive; certificates after the anchor in the upload are ignored. */
  path: ParsedCertificate[];
  anchor: ParsedCertificate;
}

/**
 * Checks that the leaf is trusted for code signing at `at`: the chain links up to a
 * configured trust anchor (trust), every certificate on that path is within its validity
 * (time), and the leaf may sign code (purpose). Checked in that order so that an untrusted
 * chain is reported as untrusted even when it is also expired.
 */
export function verifyChain(input: ChainInput): VerifiedChain {
  const { path, anchor } = buildTrustedPath(input);
  checkPathLength(path, input);
  checkValidity(path, input);
  const leaf = path[0]!;
  checkCodeSigning(leaf, input.pathOf(0));
  return { leaf, path, anchor };
}

function buildTrustedPath(input: ChainInput): {
  path: ParsedCertificate[];
  anchor: ParsedCertificate;
} {
  const { certificates, anchors, pathOf } = input;
  for (let i = 0; i < certificates.length; i++) {
    const cert = certificates[i]!;
    // A chain may include its root (or stop at a configured intermediate): trust starts there.
    const anchor = anchors.find((candidate) => candidate.der.equals(cert.der));
    if (anchor) return { path: certificates.slice(0, i + 1), anchor };
    const next = certificates[i + 1];
    if (!next) break;
    if (!next.isCa) {
      throw signatureFailure(
        'chain_invalid',
        `${next.subject} is not a CA certificate (its basicConstraints lack cA), so it cannot ` +
          `have issued ${cert.subject}.`,
        pathOf(i + 1),
      );
    }
    if (!isIssuedBy(cert, next)) {
      throw signatureFailure(
        'chain_invalid',
        `${cert.subject} was not issued by ${next.subject}, the next certificate in the chain ` +
          '(issuer name, key identifier or signature does not match; the chain must be leaf first).',
        pathOf(i),
      );
    }
  }
  const last = certificates[certificates.length - 1]!;
  const issuer = anchors.find((candidate) => candidate.isCa && isIssuedBy(last, candidate));
  if (issuer) return { path: [...certificates, issuer], anchor: issuer };
  const ending =
    last.subject === last.issuer
      ? `the self-signed ${last.subject}`
      : `${last.subject}, issued by ${last.issuer}`;
  throw signatureFailure(
    'untrusted_root',
    `The certificate chain ends at ${ending}, which is not a configured trust anchor.`,
    pathOf(certificates.length - 1),
  );
}

/** pathLenConstraint: a CA at depth k (leaf = 0) has k − 1 CA certificates below it. */
function checkPathLength(path: ParsedCertificate[], input: ChainInput): void {
  for (let k = 2; k < path.length; k++) {
    const cert = path[k]!;
    if (cert.pathLength !== undefined && cert.pathLength < k - 1) {
      throw signatureFailure(
        'chain_invalid',
        `${cert.subject} allows at most ${cert.pathLength} intermediate CA certificate(s) below ` +
          `it, but the chain has ${k - 1}.`,
        locate(k, input),
      );
    }
  }
}

function checkValidity(path: ParsedCertificate[], input: ChainInput): void {
  const at = formatInstant(input.at);
  path.forEach((cert, k) => {
    const what = `${role(k, path.length)} ${cert.subject}`;
    if (input.at.getTime() > cert.notAfter.getTime()) {
      throw signatureFailure(
        'certificate_expired',
        `${what} expired on ${formatInstant(cert.notAfter)} (verification time ${at}).`,
        locate(k, input),
      );
    }
    if (input.at.getTime() < cert.notBefore.getTime()) {
      throw signatureFailure(
        'certificate_not_yet_valid',
        `${what} is not valid before ${formatInstant(cert.notBefore)} (verification time ${at}).`,
        locate(k, input),
      );
    }
  });
}

function checkCodeSigning(leaf: ParsedCertificate, path: string): void {
  if (!leaf.extendedKeyUsages?.includes(CODE_SIGNING_OID)) {
    throw signatureFailure(
      'not_code_signing',
      `The signing certificate ${leaf.subject} is not a code-signing certificate: its extended ` +
        `key usage does not include codeSigning (${CODE_SIGNING_OID}).`,
      path,
    );
  }
  if (leaf.keyUsage !== undefined && (leaf.keyUsage & DIGITAL_SIGNATURE_FLAG) === 0) {
    throw signatureFailure(
      'not_code_signing',
      `The signing certificate ${leaf.subject} may not make signatures: its key usage does not ` +
        'include digitalSignature.',
      path,
    );
  }
}

function role(k: number, length: number): string {
  if (k === 0) return 'The signing certificate';
  return k === length - 1 ? 'The trust anchor' : 'The intermediate certificate';
}

/** The anchor may not be part of the upload; its problems are located at the document root. */
function locate(k: number, input: ChainInput): string {
  return k < input.certificates.length ? input.pathOf(k) : '';
}
