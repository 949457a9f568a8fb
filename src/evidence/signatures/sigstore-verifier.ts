import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  type SignedEntity,
  toSignedEntity,
  toTrustMaterial,
  VerificationError,
  Verifier,
} from '@sigstore/verify';
import { isIssuedBy, type ParsedCertificate } from './certificate.js';
import { signatureFailure } from './failures.js';

export type SignatureContent = SignedEntity['signature'];
type Timestamp = SignedEntity['timestamps'][number];

/** Checks the bundle's signature with the key @sigstore/verify found; returns the scheme name. */
export type SignatureCheck = (key: KeyObject, content: SignatureContent) => string | undefined;

/**
 * Runs @sigstore/verify over the bundle, offline: the chain against `path` (already validated
 * by cabinet, see trustedRoot) at the instant `at`, and the signature through `check`.
 * Returns the name of the scheme that verified.
 */
export function runSigstoreVerifier(
  bundle: Bundle,
  check: SignatureCheck,
  path: ParsedCertificate[],
  anchors: ParsedCertificate[],
  at: Date,
): string {
  const leaf = path[0]!;
  let algorithm: string | undefined;
  try {
    // Timestamps are not used (see below); dropping them first also keeps an unparsable
    // RFC 3161 blob from failing a bundle whose signature cabinet can check.
    const library = toSignedEntity({
      ...bundle,
      verificationMaterial: {
        ...bundle.verificationMaterial,
        tlogEntries: [],
        timestampVerificationData: undefined,
      },
    });
    const entity: SignedEntity = {
      ...library,
      signature: {
        signature: library.signature.signature,
        // Used only to match Rekor entries, which are dropped; kept for the interface.
        compareSignature: library.signature.compareSignature.bind(library.signature),
        compareDigest: library.signature.compareDigest.bind(library.signature),
        verifySignature: (key) => {
          algorithm = check(key, library.signature);
          return algorithm !== undefined;
        },
      },
      // Rekor entries and RFC 3161 timestamps can only be trusted with Rekor/TSA keys, which
      // this path (X.509 anchors, no trusted root) does not hold; unverified, they are unused.
      timestamps: [verificationInstantTimestamp(at)],
    };
    new Verifier(toTrustMaterial(trustedRoot(path, anchors)), {
      tlogThreshold: 0,
      ctlogThreshold: 0,
      // Exactly our one instant (see verificationInstantTimestamp): requiring it makes sure the
      // library really ran its chain check.
      timestampThreshold: 1,
    }).verify(entity);
  } catch (error) {
    if (error instanceof VerificationError && error.code === 'SIGNATURE_ERROR') {
      throw signatureFailure(
        'signature_mismatch',
        `The bundle's signature does not verify with the key of ${leaf.subject}: the content ` +
          'was altered after signing or was signed with another key.',
      );
    }
    throw signatureFailure(
      'chain_invalid',
      `@sigstore/verify refused the certificate chain of ${leaf.subject}: ` +
        `${describeError(error)}. A trusted chain for a Sigstore bundle must reach a ` +
        'self-signed root that is a trust anchor.',
    );
  }
  // verify() returned, so it called verifySignature, which set `algorithm`.
  return algorithm!;
}

/**
 * The trusted root handed to @sigstore/verify: one certificate authority made of the path
 * cabinet validated above the leaf (bundle intermediates + anchor), extended through other
 * anchors up to a self-signed root, because the library only builds paths from the CA's own
 * certificates and insists on ending at a self-signed one. No Rekor, CT log or TSA keys.
 */
function trustedRoot(path: ParsedCertificate[], anchors: ParsedCertificate[]): TrustedRoot {
  const chain = [...path];
  for (;;) {
    const top = chain[chain.length - 1]!;
    if (isIssuedBy(top, top)) break;
    const parent = anchors.find((anchor) => !chain.includes(anchor) && isIssuedBy(top, anchor));
    if (!parent) break;
    chain.push(parent);
  }
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot.v0.2+json',
    tlogs: [],
    ctlogs: [],
    timestampAuthorities: [],
    certificateAuthorities: [
      {
        subject: undefined,
        uri: '',
        validFor: undefined,
        operator: 'cabinet trust anchors',
        certChain: { certificates: chain.slice(1).map((cert) => ({ rawBytes: cert.der })) },
      },
    ],
  };
}

/**
 * @sigstore/verify checks the certificate chain only at the instants the entity's timestamps
 * give; with none (thresholds 0, offline) it skips the chain check and then fails reading the
 * empty path. cabinet's rule is "valid at the verification instant `at`", so it passes that
 * instant, shaped as the one timestamp kind the library reads without a signature of its own.
 * It is never recorded or shown as a signing time.
 */
export function verificationInstantTimestamp(at: Date): Timestamp {
  return {
    $case: 'transparency-log',
    tlogEntry: {
      logIndex: '0',
      logId: { keyId: Buffer.alloc(0) },
      kindVersion: { kind: 'cabinet-verification-instant', version: '0' },
      integratedTime: String(Math.floor(at.getTime() / 1000)),
      inclusionPromise: { signedEntryTimestamp: Buffer.alloc(0) },
      inclusionProof: undefined,
      canonicalizedBody: Buffer.alloc(0),
    },
  };
}

/** "Failed to verify certificate chain: no valid certificate path found": the cause says why. */
function describeError(error: unknown): string {
  const messages: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    messages.push(current.message);
  }
  return messages.join(': ');
}
