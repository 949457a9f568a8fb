import { VerificationError } from '@sigstore/verify';
import type { InvalidDocumentError } from '../../platform/errors.js';
import { flatText } from '../../platform/text/quote.js';
import { formatInstant } from './certificate.js';
import { signatureFailure } from './failures.js';

const TLOG_PATH = '/verificationMaterial/tlogEntries';
const TSA_PATH = '/verificationMaterial/timestampVerificationData/rfc3161Timestamps';

export interface FailureContext {
  /** How the signer is named in messages: the subject, else the SAN. */
  signer: string;
  notBefore: Date;
  notAfter: Date;
  /** The instants the certificate was judged at (log integrated times, TSA times). */
  instants: Date[];
  certificatePath: string;
}

/**
 * Maps a refusal of @sigstore/verify 3.1.1 onto cabinet's reasons. Its messages are fixed
 * strings (quoting no input), but they are still cut and flattened like any foreign text.
 */
export function sigstoreFailure(error: unknown, context: FailureContext): InvalidDocumentError {
  if (!(error instanceof VerificationError)) {
    return signatureFailure(
      'malformed_bundle',
      `@sigstore/verify could not read the bundle: ${detail(error)}.`,
    );
  }
  const why = detail(error);
  switch (error.code) {
    case 'SIGNATURE_ERROR':
      return signatureFailure(
        'signature_mismatch',
        `The bundle's signature does not verify with the key of ${context.signer}: the content ` +
          'was altered after signing or was signed with another key.',
      );
    case 'TIMESTAMP_ERROR':
      return signatureFailure(
        'timestamp_invalid',
        `An RFC 3161 timestamp of the bundle does not verify (${why}): it is not signed by a ` +
          'timestamp authority of the configured Sigstore trusted roots, or it stamps other data ' +
          'than the bundle signature.',
        TSA_PATH,
      );
    case 'TLOG_INCLUSION_PROMISE_ERROR':
      return tlogFailure(
        'its signed entry timestamp does not verify: the entry was altered, or its log is not ' +
          'a transparency log of the configured Sigstore trusted roots',
      );
    case 'TLOG_INCLUSION_PROOF_ERROR':
      return tlogFailure(
        `its inclusion proof does not verify (${why}): the proof was altered, or its checkpoint ` +
          'is not signed by a transparency log of the configured Sigstore trusted roots',
      );
    case 'TLOG_BODY_ERROR':
      return tlogFailure(`it records another signature or digest than the bundle's (${why})`);
    case 'TLOG_MISSING_INCLUSION_ERROR':
    case 'TLOG_ERROR':
      return tlogFailure(
        `it carries neither a signed entry timestamp nor an inclusion proof (${why})`,
      );
    case 'CERTIFICATE_ERROR':
      return certificateFailure(error, context);
    default:
      return signatureFailure(
        'chain_invalid',
        `@sigstore/verify refused the bundle of ${context.signer}: ${why}.`,
      );
  }
}

function tlogFailure(why: string): InvalidDocumentError {
  return signatureFailure(
    'tlog_invalid',
    `The bundle's transparency-log entry is not trusted: ${why}.`,
    TLOG_PATH,
  );
}

function certificateFailure(
  error: VerificationError,
  context: FailureContext,
): InvalidDocumentError {
  if (/SCT/.test(error.message)) {
    return signatureFailure(
      'ct_invalid',
      `The Certificate Transparency timestamp (SCT) embedded in the certificate of ${context.signer} ` +
        'does not verify against a CT log of the configured Sigstore trusted roots.',
      context.certificatePath,
    );
  }
  const cause = error.cause instanceof Error ? error.cause.message : '';
  if (/not valid or expired/.test(cause)) {
    const instants = context.instants.map(instantText).join(', ');
    return signatureFailure(
      'certificate_expired',
      `The certificate of ${context.signer} (valid ${formatInstant(context.notBefore)} to ` +
        `${formatInstant(context.notAfter)}) was not valid at the signing time the bundle ` +
        `proves (${instants}), or a certificate above it was not.`,
      context.certificatePath,
    );
  }
  return signatureFailure(
    'untrusted_root',
    `The certificate of ${context.signer} was not issued by a certificate authority of the ` +
      'configured Sigstore trusted roots valid at the signing time' +
      `${cause ? ` (${flatText(cause, 120)})` : ''}. Add the root of the Sigstore instance ` +
      'that issued it (`cabinet sigstore-roots add FILE`).',
    context.certificatePath,
  );
}

/** Log times are the bundle's numbers: one out of Date's range must not crash the message. */
function instantText(instant: Date): string {
  return Number.isNaN(instant.getTime()) ? 'an out-of-range time' : formatInstant(instant);
}

function detail(error: unknown): string {
  return flatText(error instanceof Error ? error.message : String(error), 200);
}
