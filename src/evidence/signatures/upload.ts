import { InvalidDocumentError, type ProblemDetail } from '../../platform/errors.js';
import { jsonPointer, parseJsonDocument } from '../parsers/json-document.js';

export type SignatureUpload =
  | { type: 'detached'; signature: string; certificate_chain: string[] }
  | { type: 'sigstore'; bundle: unknown };

const SIGSTORE_MEDIA_TYPE_PREFIX = 'application/vnd.dev.sigstore.bundle';
const DETACHED_FIELDS = new Set(['signature', 'certificate_chain']);

/**
 * Tells the two accepted `signature` uploads apart: a Sigstore bundle (by its `mediaType`)
 * or cabinet's detached form `{ "signature": base64, "certificate_chain": [PEM, …] }`.
 * Only the shape is checked here; base64, PEM and the bundle's content are checked when
 * verifying, where their failures get their own reasons.
 */
export function parseSignatureUpload(bytes: Uint8Array): SignatureUpload {
  const document = parseJsonDocument(bytes, 'signature document');
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid([{ path: '', message: 'must be a JSON object' }]);
  }
  const fields = document as Record<string, unknown>;
  if ('mediaType' in fields) {
    const mediaType = fields.mediaType;
    if (typeof mediaType === 'string' && mediaType.startsWith(SIGSTORE_MEDIA_TYPE_PREFIX)) {
      return { type: 'sigstore', bundle: document };
    }
    throw invalid([
      {
        path: '/mediaType',
        message: `is not a Sigstore bundle media type (${SIGSTORE_MEDIA_TYPE_PREFIX}…)`,
      },
    ]);
  }
  const problems: ProblemDetail[] = Object.keys(fields)
    .filter((key) => !DETACHED_FIELDS.has(key))
    .map((key) => ({ path: jsonPointer([key]), message: 'unknown field' }));
  const { signature, certificate_chain: chain } = fields;
  if (typeof signature !== 'string' || signature.trim() === '') {
    problems.push({ path: '/signature', message: 'must be a non-empty base64 string' });
  }
  if (!Array.isArray(chain) || chain.length === 0) {
    problems.push({
      path: '/certificate_chain',
      message: 'must be a non-empty array of PEM certificates, leaf first',
    });
  } else {
    chain.forEach((item: unknown, i) => {
      if (typeof item !== 'string') {
        problems.push({ path: `/certificate_chain/${i}`, message: 'must be a PEM string' });
      }
    });
  }
  if (problems.length > 0) throw invalid(problems);
  return { type: 'detached', signature: signature as string, certificate_chain: chain as string[] };
}

function invalid(problems: ProblemDetail[]): InvalidDocumentError {
  return new InvalidDocumentError(
    'The signature document must be either { "signature": base64, "certificate_chain": ' +
      `[PEM, …] } or a Sigstore bundle: ${problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}.`,
    problems,
    'invalid_signature_document',
  );
}
