export type SbomFormat = 'cyclonedx' | 'spdx';

export interface ParseSbomOptions {
  /** Skips detection (the `format=` query parameter); the document must still be of that format. */
  format?: SbomFormat;
}

export interface SbomHash {
  alg: string;
  content: string;
}

export interface SbomComponent {
  ref: string | null;
  name: string;
  version: string | null;
  purl: string | null;
  licenses: string[];
  hashes: SbomHash[];
  type: string | null;
}

export interface SbomRoot {
  name: string;
  version: string | null;
  purl: string | null;
}

export interface SbomSummary {
  component_count: number;
  direct_dependency_count: number;
  transitive_dependency_count: number;
  /** Sorted, unique SPDX ids / expressions / licence names found on components. */
  licenses: string[];
  /** In document order (pre-order: a component, then its nested components). */
  components: SbomComponent[];
  root: SbomRoot | null;
  has_dependency_graph: boolean;
}

export interface ParsedSbom {
  format: SbomFormat;
  spec_version: string;
  summary: SbomSummary;
  warnings: string[];
}
