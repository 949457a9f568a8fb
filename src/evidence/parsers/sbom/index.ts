import { parseJsonDocument } from '../json-document.js';
import { parseCycloneDx } from './cyclonedx.js';
import { ACCEPTED, chooseFormat, rejectNonJson } from './detect.js';
import { unwrapAttestation } from './dsse.js';
import { isJsonObject } from './json-values.js';
import { refuse } from './sbom-errors.js';
import { parseSpdx } from './spdx.js';
import type { ParsedSbom, ParseSbomOptions } from './types.js';
import { Warnings } from './warnings.js';

export { parseCycloneDxStream, type ReadDocument } from './cyclonedx-stream.js';
export type { LicenseNode } from './licenses.js';
export { licenseIdsOf, parseLicenseExpression } from './licenses.js';
export type { SbomRejection } from './sbom-errors.js';
export { parseSbomStream } from './sbom-stream.js';
export { parseSpdxStream } from './spdx-stream.js';
export type {
  ParsedSbom,
  ParseSbomOptions,
  SbomComponent,
  SbomFormat,
  SbomHash,
  SbomRoot,
  SbomSummary,
} from './types.js';

/**
 * Parses an SBOM upload: CycloneDX JSON 1.2–1.7 (validated against the official schema of
 * its specVersion), SPDX 2.2/2.3 JSON, either one possibly inside a DSSE envelope or
 * in-toto statement. Pure: the schemas were loaded when the module was.
 *
 * @throws InvalidDocumentError with located problems (JSON pointers) when the upload is not
 *   JSON, not an SBOM of a supported format and version, or structurally invalid.
 */
export function parseSbom(bytes: Uint8Array, options: ParseSbomOptions = {}): ParsedSbom {
  rejectNonJson(bytes);
  // Decoding through a Buffer view spares parseJsonDocument a copy of a multi-megabyte body.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const parsed = parseJsonDocument(text, 'SBOM');
  if (!isJsonObject(parsed)) {
    const kind = Array.isArray(parsed)
      ? 'an array'
      : parsed === null
        ? 'null'
        : `a ${typeof parsed}`;
    refuse(
      `The document is ${kind}, not an SBOM: expected ${ACCEPTED}.`,
      { path: '', message: `must be a JSON object, not ${kind}` },
      'unknown_format',
    );
  }
  const warnings = new Warnings();
  const { document, prefix } = unwrapAttestation(parsed, warnings);
  const context = { warnings, prefix };
  const format = chooseFormat(document, prefix, options.format);
  return format === 'cyclonedx' ? parseCycloneDx(document, context) : parseSpdx(document, context);
}
