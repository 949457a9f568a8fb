import { parseJsonDocument } from '../json-document.js';
import { readCycloneDxVulns } from './cyclonedx.js';
import { type DetectedKind, detectKind } from './detect-kind.js';
import { fail, type JsonRecord } from './doc-reader.js';
import { summarize } from './findings.js';
import { readGrype } from './grype.js';
import { readSarif } from './sarif.js';
import { rejectNonJson } from './sniff.js';
import { type FormatResult, readTrivy } from './trivy.js';
import type { ParsedScan, ParseScanOptions, ScanFormat } from './types.js';

export const ACCEPTED_SCAN_FORMATS =
  'Trivy JSON (SchemaVersion 2), Grype JSON, SARIF 2.1.0, CycloneDX JSON with a vulnerabilities list';

const READERS: Record<ScanFormat, (doc: JsonRecord) => FormatResult> = {
  trivy: readTrivy,
  grype: readGrype,
  sarif: readSarif,
  cyclonedx: readCycloneDxVulns,
};

const FORMAT_OF: Partial<Record<DetectedKind['kind'], ScanFormat>> = {
  trivy: 'trivy',
  grype: 'grype',
  sarif: 'sarif',
  'cyclonedx-vulns': 'cyclonedx',
};

/**
 * Parses a vulnerability scan (auto-detected, or checked against `options.format`) into a
 * normalised summary with one finding per (vulnerability id, package, installed version).
 * Pure: bytes in, data out; every rejection is an InvalidDocumentError with located problems.
 */
export function parseScan(bytes: Uint8Array, options: ParseScanOptions = {}): ParsedScan {
  rejectNonJson(bytes, ACCEPTED_SCAN_FORMATS);
  const doc = parseJsonDocument(bytes, 'vulnerability scan');
  const { detected, envelope } = detectKind(doc);
  rejectWrongKind(detected);
  const format = FORMAT_OF[detected.kind];
  if (format === undefined || !('doc' in detected)) {
    if (options.format !== undefined) {
      fail(
        `The document is not a ${options.format} vulnerability report.`,
        '',
        `format=${options.format} was requested but the document does not have that shape`,
        'format_mismatch',
      );
    }
    fail(
      `Unrecognised vulnerability scan. Accepted formats: ${ACCEPTED_SCAN_FORMATS}.`,
      '',
      'no known scan format matches the top-level structure',
      'unknown_format',
    );
  }
  if (options.format !== undefined && options.format !== format) {
    fail(
      `format=${options.format} was requested but the document is ${format}.`,
      '',
      `detected ${format}`,
      'format_mismatch',
    );
  }
  const result = READERS[format](detected.doc);
  const warnings = [...result.warnings];
  if (envelope !== null) {
    warnings.unshift(
      `Read from ${envelope}; the envelope signature is not verified by the scan parser.`,
    );
  }
  return {
    format,
    spec_version: result.spec_version,
    summary: summarize(result.tool, result.tool_version, result.collector.findings()),
    warnings,
  };
}

function rejectWrongKind(detected: DetectedKind): void {
  const wrong: Partial<Record<DetectedKind['kind'], [string, string, string]>> = {
    'cyclonedx-sbom': [
      'a CycloneDX SBOM without a vulnerabilities list',
      'sbom',
      '/vulnerabilities',
    ],
    spdx: ['an SPDX SBOM', 'sbom', ''],
    'cyclonedx-vex': [
      'a CycloneDX VEX (every vulnerability carries an analysis)',
      'vex',
      '/vulnerabilities',
    ],
    openvex: ['an OpenVEX document', 'vex', '/@context'],
  };
  const entry = wrong[detected.kind];
  if (entry === undefined) return;
  const [what, kind, path] = entry;
  fail(
    `This is ${what}, not a vulnerability scan: upload it with kind=${kind}.`,
    path,
    `${what}; expected a vulnerability scan`,
    'wrong_kind',
  );
}
