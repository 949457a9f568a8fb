import type { SbomSummary } from '../evidence/parsers/sbom/index.js';
import type { Finding, Severity } from '../evidence/parsers/scan/index.js';
import type { SuppressedFinding } from '../evidence/parsers/vex/index.js';
import type { SignatureSummary } from '../evidence/signatures/index.js';
import type { ActiveException } from '../exceptions/index.js';
import type { Intent } from '../intents/intent-service.js';
import type {
  PolicyResult,
  PublisherFacts,
  Violation,
  WaivedViolation,
} from '../policy/policy-engine.js';
import type { RiskResult } from '../risk/index.js';

/** A stored document the pack relies on: enough to fetch it and check its bytes. */
export interface DocumentRef {
  evidence_id: string;
  kind: string;
  format: string;
  spec_version: string | null;
  sha256: string;
  size_bytes: number;
  created_at: string;
}

export interface TestEvidence {
  stage: 'lab' | 'ring0';
  document: DocumentRef;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  coverage_percent: number | null;
  devices: number | null;
  duration_seconds: number | null;
}

/**
 * The evidence pack body (DESIGN.md "Evidence pack", the seed's schema plus cabinet's
 * additions). Every field is filled from a named source; `digest` and the signature are
 * not part of it. The body is what gets canonicalised, digested, and signed.
 */
export interface PackBody {
  /** The intent as it stood when the facts were frozen. */
  deployment_intent: Omit<Intent, 'artifact'>;
  artifact_sha256: string;
  /** The verified signature evidence, or null when none is attached. */
  artifact_signature: (SignatureSummary & { document: DocumentRef }) | null;
  artifact_size_bytes: number;
  artifact_publisher: string;
  artifact_filename: string;
  artifact_build_time: string | null;
  sbom_format: 'cyclonedx' | 'spdx' | null;
  /** Reference to the stored SBOM plus its normalised summary. */
  sbom_data: { document: DocumentRef; summary: SbomSummary } | null;
  vuln_scan_tool: string | null;
  vuln_scan_results: {
    document: DocumentRef;
    tool_version: string | null;
    /** Counts after VEX: what policy and risk saw. */
    severity_counts: Record<Severity, number>;
    /** Findings after VEX. */
    findings: Finding[];
    /** Findings removed by VEX statements, with the statement's status. */
    vex_suppressed: SuppressedFinding[];
    vex_documents: DocumentRef[];
  } | null;
  /** No critical and no high finding after VEX (exceptions do not make a scan pass). */
  vuln_scan_passed: boolean;
  install_command: string;
  install_timeout_seconds: number;
  uninstall_command: string;
  uninstall_timeout_seconds: number;
  detection_method: string;
  detection_query: string;
  rollout_plan: Intent['rollout_plan'];
  rollback_plan: Intent['rollback_plan'];
  test_evidence: { lab: TestEvidence | null; ring0: TestEvidence | null };
  /** pass: every present stage passed and both are present; fail: any failure; partial: otherwise. */
  test_summary: 'pass' | 'fail' | 'partial';
  /** Unwaived violations, rule id → what is wrong (the seed's mapping). */
  policy_violations: Record<string, Violation>;
  policy_waived: WaivedViolation[];
  policy_approved: boolean;
  policy_set_version: string;
  policy_rules_checked: PolicyResult['rules_checked'];
  /**
   * What `artifact_signed` relied on: the trusted publishers in force and the one matched.
   * Present only once any publisher exists, so earlier packs keep their digests.
   */
  policy_trusted_publisher?: PublisherFacts;
  has_exceptions: boolean;
  exception_count: number;
  /** Snapshot of each exception that waived something, as it stood at `as_of`. */
  exception_records: ActiveException[];
  risk: RiskResult;
  version: string;
  /** The version this one follows, or null for 1.0. */
  previous_version: string | null;
  previous_pack_id: string | null;
  created_at: string;
  created_by: string;
  is_immutable: true;
  /** The instant the facts were frozen. */
  as_of: string;
}

export const PACK_PREDICATE_TYPE = 'urn:cabinet:evidence-pack:v1';
