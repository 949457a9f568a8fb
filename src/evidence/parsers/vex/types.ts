export type VexFormat = 'cyclonedx' | 'openvex';

export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

export interface VexStatement {
  vulnerability_id: string;
  /** Purls where they could be resolved, else `name@version`, else the ref as written. */
  products: string[];
  status: VexStatus;
  justification: string | null;
}

export interface VexSummary {
  statement_count: number;
  statements: VexStatement[];
}

export interface ParsedVex {
  format: VexFormat;
  spec_version: string | null;
  summary: VexSummary;
  warnings: string[];
}

export interface ParseVexOptions {
  format?: VexFormat;
}

export interface VexReadResult {
  spec_version: string | null;
  statements: VexStatement[];
  warnings: string[];
}
