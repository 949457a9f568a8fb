import type { JsonObject } from './json-values.js';
import { refuse, reject } from './sbom-errors.js';
import type { SbomFormat } from './types.js';

export const ACCEPTED =
  'CycloneDX JSON (bomFormat "CycloneDX", specVersion 1.2 to 1.7) or SPDX JSON (spdxVersion "SPDX-2.2" or "SPDX-2.3")';

/**
 * Names the non-JSON uploads people send by mistake (an archive, an XML or tag-value SBOM) so
 * the answer says what was received rather than a JSON syntax position at line 1.
 */
export function rejectNonJson(bytes: Uint8Array): void {
  const what = nonJsonKind(bytes);
  if (what !== null) {
    refuse(
      `This is ${what}, not a JSON SBOM. Accepted: ${ACCEPTED}.`,
      { path: 'line 1', message: `${what} received` },
      'unsupported_format',
    );
  }
}

function nonJsonKind(bytes: Uint8Array): string | null {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'a gzip archive';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03) return 'a zip archive';
  // POSIX tar: "ustar" at offset 257, e.g. a `docker save` image.
  if (Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar') return 'a tar archive';
  const head = Buffer.from(bytes.subarray(0, 64))
    .toString('utf8')
    .replace(/^\uFEFF?\s*/, '');
  if (head.startsWith('<')) {
    return 'XML (CycloneDX XML and SPDX RDF are not supported: upload the JSON form)';
  }
  if (head.startsWith('SPDXVersion:')) {
    return 'an SPDX tag-value document (not supported: upload SPDX JSON)';
  }
  return null;
}

/**
 * CycloneDX is recognised by bomFormat, SPDX by spdxVersion (their values are checked by
 * the format's parser). A requested format that contradicts the document is refused.
 */
export function chooseFormat(
  document: JsonObject,
  prefix: string,
  requested?: SbomFormat,
): SbomFormat {
  const detected =
    'bomFormat' in document ? 'cyclonedx' : 'spdxVersion' in document ? 'spdx' : null;
  if (detected === null) {
    // With format= given, the format's own checks say precisely what is missing.
    if (requested !== undefined) return requested;
    refuseNonSbom(document, prefix);
  }
  if (requested !== undefined && requested !== detected) {
    const [member, name] =
      detected === 'cyclonedx' ? ['bomFormat', 'CycloneDX'] : ['spdxVersion', 'SPDX'];
    reject(
      'The SBOM',
      [
        {
          path: `${prefix}/${member}`,
          message: `format=${requested} was requested, but the document is ${name}`,
        },
      ],
      'format_mismatch',
    );
  }
  return detected;
}

/** Names the documents most often uploaded as an SBOM by mistake, with the kind they belong to. */
function refuseNonSbom(document: JsonObject, prefix: string): never {
  const context = typeof document['@context'] === 'string' ? document['@context'] : '';
  if (context.includes('spdx.org/rdf/3')) {
    reject(
      'The SBOM',
      [
        {
          path: `${prefix}/@context`,
          message: 'SPDX 3 is not supported; expected SPDX 2.2 or 2.3 JSON',
        },
      ],
      'unsupported_version',
    );
  }
  const [what, kind] =
    'SchemaVersion' in document && 'Results' in document
      ? ['a Trivy vulnerability report', 'vuln_scan']
      : Array.isArray(document.matches)
        ? ['a Grype vulnerability report', 'vuln_scan']
        : Array.isArray(document.runs)
          ? ['a SARIF log', 'vuln_scan']
          : context.includes('openvex')
            ? ['an OpenVEX document', 'vex']
            : [null, null];
  if (what === null) {
    refuse(
      `The document is not an SBOM: expected ${ACCEPTED}.`,
      { path: prefix, message: `expected ${ACCEPTED}` },
      'unknown_format',
    );
  }
  refuse(
    `This is ${what}, not an SBOM: upload it with kind=${kind}. SBOMs are ${ACCEPTED}.`,
    { path: prefix, message: `${what}, not an SBOM` },
    'wrong_kind',
  );
}
