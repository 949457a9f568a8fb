import type { Finding, Severity } from '../evidence/parsers/scan/index.js';
import type { Violation } from '../policy/policy-engine.js';
import type { FactorName, Recommendation } from '../risk/risk-model.js';

/** A before/after pair of one value. */
export interface Change<T> {
  from: T;
  to: T;
}

/** One SBOM component as the diff names it. `key` is its identity (see pack-diff-identity.ts). */
export interface ComponentRef {
  key: string;
  name: string;
  version: string | null;
  purl: string | null;
}

/** The same identity with exactly one differing version on each side (an upgrade or downgrade). */
export interface ComponentChange {
  key: string;
  /** The name in the later pack: what the CAB sees today. */
  name: string;
  from_version: string | null;
  to_version: string | null;
  from_purl: string | null;
  to_purl: string | null;
}

export interface ComponentsDiff {
  added: ComponentRef[];
  removed: ComponentRef[];
  changed: ComponentChange[];
  /** Components matched with the same identity and the same version on both sides. */
  unchanged_count: number;
  /** Licence ids / expressions of the SBOM summary's licence set. */
  licenses: { added: string[]; removed: string[] };
}

export interface SeverityChange {
  id: string;
  from: Severity;
  to: Severity;
}

export interface FindingsDiff {
  /** In the later pack's findings (after VEX) only. */
  new: Finding[];
  /** In the earlier pack's findings only: gone from the scan, or now suppressed by VEX. */
  fixed: Finding[];
  severity_changed: SeverityChange[];
  vex: {
    /** Ids among `fixed` that the later pack's VEX suppresses (not gone: declared not exploitable). */
    now_suppressed: string[];
    /** Ids among `new` that the earlier pack's VEX suppressed (a VEX statement was withdrawn). */
    no_longer_suppressed: string[];
  };
}

/** One rule violated in both packs whose details differ. */
export interface ViolationChange {
  rule_id: string;
  severity: Change<string>;
  message: Change<string>;
  finding_ids: { added: string[]; removed: string[] };
  component_ids: { added: string[]; removed: string[] };
}

export interface PolicyDiff {
  violations_added: Violation[];
  violations_resolved: Violation[];
  violations_changed: ViolationChange[];
  approved: Change<boolean>;
  set_version: Change<string>;
}

export interface FactorSnapshot {
  raw: number | null;
  normalized: number;
  weighted: number;
}

export interface FactorDiff {
  from: FactorSnapshot;
  to: FactorSnapshot;
  changed: boolean;
}

export interface RiskDiff {
  score: Change<number> & { delta: number };
  recommendation: Change<Recommendation>;
  model_version: Change<string>;
  threshold_exceeded: Change<boolean>;
  factors: Record<FactorName, FactorDiff>;
  /** The factors whose `changed` is true, in model order. */
  changed_factors: FactorName[];
}

export interface ExceptionsDiff {
  /** Exception ids in the later pack's `exception_records` only. */
  added: string[];
  removed: string[];
  count: Change<number>;
}

export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  coverage_percent: number | null;
  devices: number | null;
  duration_seconds: number | null;
}

export interface TestStageDiff {
  from: TestCounts | null;
  to: TestCounts | null;
  changed: boolean;
}

export interface TestsDiff {
  summary: Change<'pass' | 'fail' | 'partial'>;
  lab: TestStageDiff;
  ring0: TestStageDiff;
}

export interface ArtifactDiff {
  sha256: Change<string>;
  changed: boolean;
}

export type DocumentKind = 'sbom' | 'vuln_scan' | 'vex' | 'signature' | 'lab' | 'ring0';

/** A referenced document whose SHA-256 differs; null = not attached on that side. */
export interface DocumentChange {
  kind: DocumentKind;
  from: string | null;
  to: string | null;
}

/** What changed from one evidence pack body to a later one (DESIGN "Evidence pack", versioning). */
export interface PackDiff {
  from: { version: string; as_of: string };
  to: { version: string; as_of: string };
  components: ComponentsDiff;
  findings: FindingsDiff;
  policy: PolicyDiff;
  risk: RiskDiff;
  exceptions: ExceptionsDiff;
  tests: TestsDiff;
  artifact: ArtifactDiff;
  documents_changed: DocumentChange[];
}
