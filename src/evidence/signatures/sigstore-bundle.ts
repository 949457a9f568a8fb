import {
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  bundleFromJSON,
  ValidationError,
} from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { InvalidDocumentError } from '../../platform/errors.js';
import { flatText, quote } from '../../platform/text/quote.js';
import { jsonPointer } from '../parsers/json-document.js';
import { signatureFailure } from './failures.js';

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** The bundle versions cabinet reads (v0.3 under its current and its legacy name). */
const KNOWN_MEDIA_TYPES: readonly string[] = [
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
];

/** Validates the bundle JSON with @sigstore/bundle; any refusal is `malformed_bundle`. */
export function readBundle(json: unknown): Bundle {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw signatureFailure('malformed_bundle', 'The Sigstore bundle must be a JSON object.');
  }
  const mediaType = (json as { mediaType?: unknown }).mediaType;
  // A later bundle version may change what is signed; reading it as an older one would
  // judge something else than what its signer meant. (A missing one is malformed, below.)
  if (typeof mediaType === 'string' && !KNOWN_MEDIA_TYPES.includes(mediaType)) {
    throw signatureFailure(
      'unsupported_bundle',
      `The bundle's media type ${quote(mediaType)} is not a Sigstore bundle version cabinet ` +
        'reads (v0.1, v0.2 or v0.3).',
      '/mediaType',
    );
  }
  const deep = tooDeepAt(json, MAX_BUNDLE_DEPTH);
  if (deep !== null) {
    const message = `nested more than ${MAX_BUNDLE_DEPTH} levels deep`;
    throw new InvalidDocumentError(
      `The Sigstore bundle is malformed: ${deep || '/'} ${message}.`,
      [{ path: deep, message }],
      'malformed_bundle',
    );
  }
  try {
    return bundleFromJSON(json);
  } catch (error) {
    // ValidationError names the protobuf fields; other errors (a bad enum value) only a
    // message, which may quote the value: bounded, like every quoted value.
    const problems =
      error instanceof ValidationError
        ? error.fields.map((field) => ({ path: fieldPointer(field), message: 'missing or empty' }))
        : [{ path: '', message: boundedMessage(error) }];
    throw new InvalidDocumentError(
      `The Sigstore bundle is malformed: ${problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}.`,
      problems,
      'malformed_bundle',
    );
  }
}

/**
 * A bundle is a handful of levels deep; protobuf's fromJSON stringifies whatever sits where a
 * string belongs, recursively, so a deeply nested value there would overflow the stack.
 */
const MAX_BUNDLE_DEPTH = 16;

/** The pointer of the first value nested deeper than `limit`, or null; iterative on purpose. */
export function tooDeepAt(root: unknown, limit: number): string | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: root, path: '', depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return path;
    for (const [key, child] of Object.entries(value)) {
      stack.push({ value: child, path: `${path}${jsonPointer([key])}`, depth: depth + 1 });
    }
  }
  return null;
}

function boundedMessage(error: unknown): string {
  return flatText(error instanceof Error ? error.message : String(error), 200);
}

/**
 * `verificationMaterial.content.certificate.rawBytes` → `/verificationMaterial/certificate/rawBytes`:
 * protobuf's oneof wrapper `content` does not exist in the JSON the client sent.
 */
function fieldPointer(field: string): string {
  const segments = field.replace(/\[(\d+)\]/g, '.$1').split('.');
  return jsonPointer(segments.filter((s, i) => s !== 'content' || i === segments.length - 1));
}

export interface BundleCertificates {
  der: Buffer[];
  pathOf: (index: number) => string;
}

/** The certificates of the bundle, leaf first; bundles that name a bare key are refused. */
export function bundleCertificates(bundle: Bundle): BundleCertificates {
  const material = bundle.verificationMaterial.content;
  switch (material.$case) {
    case 'certificate':
      return {
        der: [material.certificate.rawBytes],
        pathOf: () => '/verificationMaterial/certificate/rawBytes',
      };
    case 'x509CertificateChain':
      return {
        der: material.x509CertificateChain.certificates.map((c) => c.rawBytes),
        pathOf: (i) => `/verificationMaterial/x509CertificateChain/certificates/${i}/rawBytes`,
      };
    case 'publicKey':
      throw signatureFailure(
        'unsupported_bundle',
        'The bundle identifies its signing key only by a hint (a "keyful" bundle without a ' +
          'certificate); cabinet trusts X.509 anchors, so it needs the signing certificate.',
        '/verificationMaterial/publicKey',
      );
  }
}

/** What ties the bundle to the artifact: the signed digest, or the DSSE statement's subjects. */
export type ArtifactBinding =
  | { kind: 'message'; digest: Buffer; signature: Buffer }
  | { kind: 'dsse'; subjectDigests: string[] };

/**
 * Reads how the bundle refers to the artifact, refusing what cannot be tied to a SHA-256:
 * a message digest in another algorithm (cabinet knows artifacts by SHA-256 only) or a DSSE
 * payload that is not an in-toto statement (nothing in it names the artifact).
 */
export function artifactBinding(bundle: Bundle): ArtifactBinding {
  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    const { messageDigest, signature } = content.messageSignature;
    // UNSPECIFIED is read as SHA-256 by @sigstore/verify too.
    if (
      messageDigest.algorithm !== HashAlgorithm.SHA2_256 &&
      messageDigest.algorithm !== HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED
    ) {
      throw signatureFailure(
        'unsupported_bundle',
        `The bundle's message digest uses ${HashAlgorithm[messageDigest.algorithm]}; cabinet ` +
          'identifies artifacts by SHA-256 and can only match a SHA2_256 message digest.',
        '/messageSignature/messageDigest/algorithm',
      );
    }
    return { kind: 'message', digest: messageDigest.digest, signature };
  }
  const envelope = content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw signatureFailure(
      'unsupported_bundle',
      `The DSSE payload type is ${quote(envelope.payloadType)}; only in-toto ` +
        `statements (${IN_TOTO_PAYLOAD_TYPE}) name the artifact they are about.`,
      '/dsseEnvelope/payloadType',
    );
  }
  return { kind: 'dsse', subjectDigests: statementSubjectDigests(envelope.payload) };
}

/** The `subject[].digest.sha256` values of an in-toto statement (lowercased). */
function statementSubjectDigests(payload: Buffer): string[] {
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    throw signatureFailure(
      'malformed_bundle',
      'The DSSE payload is not a JSON in-toto statement.',
      '/dsseEnvelope/payload',
    );
  }
  const subjects = (statement as { subject?: unknown }).subject;
  if (!Array.isArray(subjects)) return [];
  return subjects.flatMap((subject: unknown) => {
    const sha256 = (subject as { digest?: { sha256?: unknown } } | null)?.digest?.sha256;
    return typeof sha256 === 'string' ? [sha256.toLowerCase()] : [];
  });
}
