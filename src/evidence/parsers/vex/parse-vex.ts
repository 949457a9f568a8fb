import { parseJsonDocument } from '../json-document.js';
import { type DetectedKind, detectKind } from '../scan/detect-kind.js';
import { fail } from '../scan/doc-reader.js';
import { rejectNonJson } from '../scan/sniff.js';
import { readCycloneDxVex } from './cyclonedx-vex.js';
import { readOpenVex } from './openvex.js';
import type { ParsedVex, ParseVexOptions, VexFormat, VexReadResult } from './types.js';

export const ACCEPTED_VEX_FORMATS = 'CycloneDX VEX (JSON), OpenVEX';

/**
 * Parses a VEX document (CycloneDX VEX or OpenVEX, auto-detected or checked against
 * `options.format`) into statements. Pure; rejections are InvalidDocumentErrors.
 */
export function parseVex(bytes: Uint8Array, options: ParseVexOptions = {}): ParsedVex {
  rejectNonJson(bytes, ACCEPTED_VEX_FORMATS);
  const doc = parseJsonDocument(bytes, 'VEX document');
  const { detected, envelope } = detectKind(doc);
  rejectWrongKind(detected);
  let format: VexFormat;
  let result: VexReadResult;
  if (detected.kind === 'openvex') {
    format = 'openvex';
    checkRequested(options.format, format);
    result = readOpenVex(detected.doc);
  } else if (detected.kind === 'cyclonedx-vex' || detected.kind === 'cyclonedx-vulns') {
    format = 'cyclonedx';
    checkRequested(options.format, format);
    const read = readCycloneDxVex(detected.doc);
    if (read.statements.length === 0 && read.unanalysed > 0) {
      fail(
        'This CycloneDX document lists vulnerabilities without any VEX analysis: it is a vulnerability scan, upload it with kind=vuln_scan.',
        '/vulnerabilities',
        'no vulnerability carries an analysis',
        'wrong_kind',
      );
    }
    result = read;
  } else {
    if (options.format !== undefined) {
      fail(
        `The document is not a ${options.format} VEX.`,
        '',
        `format=${options.format} was requested but the document does not have that shape`,
        'format_mismatch',
      );
    }
    fail(
      `Unrecognised VEX document. Accepted formats: ${ACCEPTED_VEX_FORMATS}.`,
      '',
      'no known VEX format matches the top-level structure',
      'unknown_format',
    );
  }
  const warnings = [...result.warnings];
  if (envelope !== null) {
    warnings.unshift(
      `Read from ${envelope}; the envelope signature is not verified by the VEX parser.`,
    );
  }
  if (result.statements.length === 0) warnings.push('The VEX document makes no statements.');
  return {
    format,
    spec_version: result.spec_version,
    summary: { statement_count: result.statements.length, statements: result.statements },
    warnings,
  };
}

function checkRequested(requested: VexFormat | undefined, detected: VexFormat): void {
  if (requested !== undefined && requested !== detected) {
    fail(
      `format=${requested} was requested but the document is ${detected}.`,
      '',
      `detected ${detected}`,
      'format_mismatch',
    );
  }
}

function rejectWrongKind(detected: DetectedKind): void {
  const wrong: Partial<Record<DetectedKind['kind'], [string, string]>> = {
    trivy: ['a Trivy vulnerability report', 'vuln_scan'],
    grype: ['a Grype vulnerability report', 'vuln_scan'],
    sarif: ['a SARIF log', 'vuln_scan'],
    'cyclonedx-sbom': ['a CycloneDX SBOM without a vulnerabilities list', 'sbom'],
    spdx: ['an SPDX SBOM', 'sbom'],
  };
  const entry = wrong[detected.kind];
  if (entry === undefined) return;
  const [what, kind] = entry;
  fail(
    `This is ${what}, not a VEX document: upload it with kind=${kind}.`,
    '',
    `${what}; expected a VEX document`,
    'wrong_kind',
  );
}
