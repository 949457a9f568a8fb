import type { Bundle } from '@sigstore/bundle';
import { type SignedEntity, toSignedEntity, Verifier } from '@sigstore/verify';
import type { InvalidDocumentError } from '../../platform/errors.js';
import { formatInstant, isIssuedBy, type ParsedCertificate } from './certificate.js';
import { signatureFailure } from './failures.js';
import { sigstoreFailure } from './sigstore-errors.js';
import { SCT_EXTENSION_OID } from './sigstore-identity.js';
import {
  certificateAuthorityChains,
  type SigstoreRoot,
  timestampAuthorityCertificates,
} from './sigstore-roots.js';
import { type SignatureCheck, verificationInstantTimestamp } from './sigstore-verifier.js';
import type { SignatureSummary } from './types.js';

type Timestamp = SignedEntity['timestamps'][number];

export interface RootVerificationInput {
  bundle: Bundle;
  check: SignatureCheck;
  /** The bundle's certificates, leaf first. */
  certificates: ParsedCertificate[];
  certificatePath: string;
  /** How the signer is named in messages. */
  signer: string;
  roots: SigstoreRoot[];
  /** Fulcio certificate: it must be proven used within its minutes of validity. */
  keyless: boolean;
  at: Date;
}

export interface RootVerification {
  algorithm: string;
  /** The top certificate of the Fulcio CA chain the leaf verified to. */
  anchor: ParsedCertificate;
  timestamp?: SignatureSummary['timestamp'];
}

/**
 * Runs @sigstore/verify against each configured trusted root; the bundle verifies when one
 * root accepts it. The thresholds demand everything the bundle carries: every log entry
 * (SET and/or inclusion proof + checkpoint, and its body matching the bundle), every
 * RFC 3161 timestamp, an SCT when the certificate embeds one, and the chain valid at every
 * vouched-for instant.
 */
export function verifyAgainstSigstoreRoots(input: RootVerificationInput): RootVerification {
  const leaf = input.certificates[0]!;
  const library = signedEntity(input.bundle);
  const vouched = library.timestamps.filter(isVouched);
  if (vouched.some((t) => Number.isNaN(instantOf(t).getTime()))) {
    throw signatureFailure(
      'tlog_invalid',
      "The bundle's transparency-log entry gives an integrated time outside the range of dates.",
      '/verificationMaterial/tlogEntries',
    );
  }
  if (vouched.length === 0 && input.keyless) {
    throw signatureFailure(
      'certificate_expired',
      `The certificate of ${input.signer} is valid only for minutes, and the bundle carries ` +
        'no proof of when it signed (no transparency-log entry with a signed entry timestamp, ' +
        'no RFC 3161 timestamp), so its validity cannot be judged.',
      '/verificationMaterial',
    );
  }
  // A keyed certificate without log data is judged at the verification instant, as cabinet
  // judges X.509 chains; the library checks the chain only at the entity's timestamps.
  const timestamps =
    vouched.length > 0 ? library.timestamps : [verificationInstantTimestamp(input.at)];
  let algorithm: string | undefined;
  const entity: SignedEntity = {
    ...library,
    timestamps,
    signature: {
      signature: library.signature.signature,
      compareSignature: library.signature.compareSignature.bind(library.signature),
      compareDigest: library.signature.compareDigest.bind(library.signature),
      verifySignature: (key) => {
        algorithm = input.check(key, library.signature);
        return algorithm !== undefined;
      },
    },
  };
  const options = {
    tlogThreshold: library.tlogEntries.length,
    ctlogThreshold: leaf.extensionOids.includes(SCT_EXTENSION_OID) ? 1 : 0,
    // Log entries without a SET add no timestamp (the library skips them), so count vouched.
    timestampThreshold: Math.max(vouched.length, 1),
  };
  const context = {
    signer: input.signer,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    instants: (vouched.length > 0 ? vouched : timestamps).map(instantOf),
    certificatePath: input.certificatePath,
  };
  const failures: InvalidDocumentError[] = [];
  for (const root of input.roots) {
    try {
      new Verifier(root.material, options).verify(entity);
    } catch (error) {
      failures.push(sigstoreFailure(error, context));
      continue;
    }
    return {
      // verify() returned, so it called verifySignature, which set `algorithm`.
      algorithm: algorithm!,
      anchor: anchorOf(root, input.certificates),
      timestamp: summaryTimestamp(vouched, root),
    };
  }
  // The most telling refusal: a root that knew the CA says more than one that did not.
  throw failures.find((f) => f.reason !== 'untrusted_root') ?? failures[0]!;
}

function signedEntity(bundle: Bundle): SignedEntity {
  try {
    return toSignedEntity(bundle);
  } catch {
    // The certificates already parsed, so what failed is an RFC 3161 blob.
    throw signatureFailure(
      'timestamp_invalid',
      'An RFC 3161 timestamp of the bundle is not a DER-encoded TimeStampResponse.',
      '/verificationMaterial/timestampVerificationData/rfc3161Timestamps',
    );
  }
}

/** What @sigstore/verify counts as a timestamp: a TSA's, or a log entry's with its SET. */
function isVouched(timestamp: Timestamp): boolean {
  return (
    timestamp.$case === 'timestamp-authority' || timestamp.tlogEntry.inclusionPromise !== undefined
  );
}

function instantOf(timestamp: Timestamp): Date {
  return timestamp.$case === 'timestamp-authority'
    ? timestamp.timestamp.signingTime
    : new Date(Number(timestamp.tlogEntry.integratedTime) * 1000);
}

/** A TSA's time when there is one (a third party's clock), else the earliest log time. */
function summaryTimestamp(vouched: Timestamp[], root: SigstoreRoot): SignatureSummary['timestamp'] {
  const tsa = vouched.find((t) => t.$case === 'timestamp-authority');
  if (tsa?.$case === 'timestamp-authority') {
    const serial = stripZeros(Buffer.from(tsa.timestamp.signerSerialNumber).toString('hex'));
    const cert = timestampAuthorityCertificates(root.root).find(
      (c) => stripZeros(c.serialNumber) === serial,
    );
    return {
      kind: 'rfc3161',
      at: formatInstant(tsa.timestamp.signingTime),
      authority: cert?.subject ?? '',
    };
  }
  const logged = vouched
    .flatMap((t) => (t.$case === 'transparency-log' ? [t.tlogEntry] : []))
    .sort((a, b) => Number(a.integratedTime) - Number(b.integratedTime))[0];
  if (!logged) return undefined;
  return {
    kind: 'tlog',
    at: logTime(logged.integratedTime),
    authority: Buffer.from(logged.logId.keyId).toString('hex'),
  };
}

function logTime(seconds: string): string {
  const instant = new Date(Number(seconds) * 1000);
  return Number.isNaN(instant.getTime()) ? seconds : formatInstant(instant);
}

function stripZeros(hex: string): string {
  return hex.replace(/^(00)+/, '');
}

/**
 * The highest certificate of the root's CA chains on the leaf's path; @sigstore/verify does
 * not say which CA it used, so the path is walked again with the same certificates.
 */
function anchorOf(root: SigstoreRoot, certificates: ParsedCertificate[]): ParsedCertificate {
  for (const chain of certificateAuthorityChains(root.root)) {
    const pool = [...chain, ...certificates.slice(1)];
    let current = certificates[0]!;
    let anchor: ParsedCertificate | undefined;
    for (let depth = 0; depth < 8; depth++) {
      const parent = pool.find((c) => c.sha256 !== current.sha256 && isIssuedBy(current, c));
      if (!parent) break;
      if (chain.some((c) => c.sha256 === parent.sha256)) anchor = parent;
      current = parent;
    }
    if (anchor) return anchor;
  }
  throw new Error('@sigstore/verify accepted a certificate whose path cabinet cannot rebuild.');
}
