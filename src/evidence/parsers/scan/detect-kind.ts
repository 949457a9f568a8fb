import { InvalidDocumentError } from '../../../platform/errors.js';
import { findLoneSurrogate, LONE_SURROGATE_MESSAGE } from '../../../platform/text/well-formed.js';
import { isRecord, type JsonRecord } from './doc-reader.js';

/** What an evidence JSON document is, whatever kind it was uploaded as. */
export type DetectedKind =
  | { kind: 'trivy' | 'grype' | 'sarif' | 'cyclonedx-vulns' | 'openvex'; doc: JsonRecord }
  | { kind: 'cyclonedx-vex'; doc: JsonRecord }
  | { kind: 'cyclonedx-sbom' | 'spdx' }
  | { kind: 'unknown' };

export interface Detection {
  detected: DetectedKind;
  /** Set when the document was unwrapped from a DSSE envelope / in-toto statement. */
  envelope: string | null;
}

/** Classifies a parsed JSON document by its top-level shape (no schema validation here). */
export function detectKind(doc: unknown): Detection {
  const direct = classify(doc);
  if (direct.kind !== 'unknown' || !isRecord(doc)) return { detected: direct, envelope: null };
  const inner = unwrapEnvelope(doc);
  if (inner === null) return { detected: direct, envelope: null };
  return { detected: classify(inner.doc), envelope: inner.what };
}

function classify(doc: unknown): DetectedKind {
  if (!isRecord(doc)) return { kind: 'unknown' };
  if ('SchemaVersion' in doc && ('Results' in doc || 'ArtifactName' in doc)) {
    return { kind: 'trivy', doc };
  }
  if (Array.isArray(doc.matches)) return { kind: 'grype', doc };
  if (Array.isArray(doc.runs) && (typeof doc.version === 'string' || isSarifSchema(doc.$schema))) {
    return { kind: 'sarif', doc };
  }
  if (doc.bomFormat === 'CycloneDX') return classifyCycloneDx(doc);
  if (typeof doc.spdxVersion === 'string' || typeof doc.SPDXID === 'string')
    return { kind: 'spdx' };
  const context = doc['@context'];
  if (typeof context === 'string') {
    if (context.startsWith('https://openvex.dev/ns')) return { kind: 'openvex', doc };
    if (context.includes('spdx.org/rdf')) return { kind: 'spdx' };
  }
  return { kind: 'unknown' };
}

function isSarifSchema(value: unknown): boolean {
  return typeof value === 'string' && value.toLowerCase().includes('sarif');
}

/**
 * A CycloneDX document is a vulnerability report only if it has a `vulnerabilities` key
 * (an empty list is a clean scan). It is a VEX rather than a scan when every entry carries an
 * `analysis` and there is no component inventory: that is how VEX-only BOMs (CISA's use cases)
 * look, while scanner output lists the affected components.
 */
function classifyCycloneDx(doc: JsonRecord): DetectedKind {
  const vulns = doc.vulnerabilities;
  if (!('vulnerabilities' in doc)) return { kind: 'cyclonedx-sbom' };
  const components = doc.components;
  const hasInventory = Array.isArray(components) && components.length > 0;
  if (
    Array.isArray(vulns) &&
    vulns.length > 0 &&
    !hasInventory &&
    vulns.every((v) => isRecord(v) && isRecord(v.analysis))
  ) {
    return { kind: 'cyclonedx-vex', doc };
  }
  return { kind: 'cyclonedx-vulns', doc };
}

const COSIGN_VULN_PREDICATE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

/**
 * DSSE envelope → in-toto statement → predicate. A cosign vulnerability attestation nests the
 * scanner's own report under `scanner.result`. The signature is not checked here: that is the
 * `signature` evidence's job, and the caller warns about it.
 */
function unwrapEnvelope(doc: JsonRecord): { doc: unknown; what: string } | null {
  if (typeof doc.payloadType !== 'string' || typeof doc.payload !== 'string') return null;
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(doc.payload, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(statement) || !isRecord(statement.predicate)) return null;
  const lone = findLoneSurrogate(statement);
  if (lone !== null) {
    throw new InvalidDocumentError(
      `The DSSE payload is refused: at ${lone || '/'}, ${LONE_SURROGATE_MESSAGE}.`,
      [{ path: '/payload', message: LONE_SURROGATE_MESSAGE }],
      'invalid_unicode',
    );
  }
  const predicate = statement.predicate;
  if (statement.predicateType === COSIGN_VULN_PREDICATE) {
    const scanner = isRecord(predicate.scanner) ? predicate.scanner : {};
    return { doc: scanner.result, what: 'a DSSE envelope (cosign vulnerability attestation)' };
  }
  return { doc: predicate, what: 'a DSSE envelope (in-toto statement)' };
}
