export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

export type ScanFormat = 'trivy' | 'grype' | 'sarif' | 'cyclonedx';

export interface Finding {
  /** Stable: `${vulnerability_id}|${package}|${installed_version ?? ''}`. */
  id: string;
  vulnerability_id: string;
  package: string;
  installed_version: string | null;
  fixed_version: string | null;
  severity: Severity;
  purl: string | null;
  targets: string[];
  title: string | null;
}

export interface ScanSummary {
  tool: string;
  tool_version: string | null;
  finding_count: number;
  severity_counts: Record<Severity, number>;
  findings: Finding[];
  /** No critical and no high finding. */
  passed: boolean;
}

export interface ParsedScan {
  format: ScanFormat;
  spec_version: string | null;
  summary: ScanSummary;
  warnings: string[];
}

export interface ParseScanOptions {
  format?: ScanFormat;
}

/** One raw observation before dedup; the collector merges observations of one finding. */
export interface RawFinding {
  vulnerability_id: string;
  package: string;
  installed_version: string | null;
  fixed_version: string | null;
  severity: Severity;
  purl: string | null;
  target: string | null;
  title: string | null;
}
