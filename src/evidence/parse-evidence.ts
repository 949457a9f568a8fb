import { BadRequestError } from '../platform/errors.js';
import { parseSbom } from './parsers/sbom/index.js';
import { parseScan } from './parsers/scan/index.js';
import { parseTestResults } from './parsers/test-results/index.js';
import { parseVex } from './parsers/vex/index.js';

export const EVIDENCE_KINDS = ['sbom', 'vuln_scan', 'vex', 'signature', 'test_results'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
export type DocumentKind = Exclude<EvidenceKind, 'signature'>;
export type TestStage = 'lab' | 'ring0';

/** The `format=` values each kind accepts (detection picks one when it is absent). */
export const FORMATS: Record<EvidenceKind, readonly string[]> = {
  sbom: ['cyclonedx', 'spdx'],
  vuln_scan: ['trivy', 'grype', 'sarif', 'cyclonedx'],
  vex: ['cyclonedx', 'openvex'],
  signature: ['x509', 'sigstore'],
  test_results: ['junit', 'json'],
};

export interface ParsedEvidence {
  format: string;
  spec_version: string | null;
  stage: TestStage | null;
  summary: object;
  /** The summary as JSON, when it was serialised already (on a parse worker). */
  summaryJson?: string;
  warnings: string[];
}

export interface ParseOptions {
  format?: string | undefined;
  stage?: TestStage | undefined;
}

/** Checks the query options against the kind before a byte of the body is read. */
export function checkParseOptions(kind: EvidenceKind, options: ParseOptions): void {
  if (options.format !== undefined && !FORMATS[kind].includes(options.format)) {
    throw new BadRequestError(
      `format=${options.format} is not a ${kind} format; use one of ${FORMATS[kind].join(', ')}.`,
      [{ path: 'querystring:/format', message: `must be one of ${FORMATS[kind].join(', ')}` }],
    );
  }
  if (options.stage !== undefined && kind !== 'test_results') {
    throw new BadRequestError('stage= applies only to kind=test_results.', [
      { path: 'querystring:/stage', message: 'only for test_results' },
    ]);
  }
}

/**
 * Pure: reads one evidence document of a known kind into its normalised summary, or throws
 * an InvalidDocumentError naming where it is wrong. Signatures are not documents of this
 * kind: they need the trust anchors and the artifact, see EvidenceService.
 */
export function parseDocumentEvidence(
  kind: DocumentKind,
  bytes: Uint8Array,
  options: ParseOptions = {},
): ParsedEvidence {
  switch (kind) {
    case 'sbom': {
      const parsed = parseSbom(bytes, {
        format: options.format as 'cyclonedx' | 'spdx' | undefined,
      });
      return { ...parsed, stage: null };
    }
    case 'vuln_scan': {
      const parsed = parseScan(bytes, {
        format: options.format as 'trivy' | 'grype' | 'sarif' | 'cyclonedx' | undefined,
      });
      return { ...parsed, stage: null };
    }
    case 'vex': {
      const parsed = parseVex(bytes, {
        format: options.format as 'cyclonedx' | 'openvex' | undefined,
      });
      return { ...parsed, stage: null };
    }
    case 'test_results': {
      const parsed = parseTestResults(bytes, {
        stage: options.stage,
        format: options.format as 'junit' | 'json' | undefined,
      });
      return { ...parsed, stage: parsed.summary.stage };
    }
  }
}
