import type { SbomSummary } from '../evidence/parsers/sbom/index.js';
import type { Finding, ScanSummary } from '../evidence/parsers/scan/index.js';
import type { TestResultsSummary } from '../evidence/parsers/test-results/index.js';
import {
  applyVex,
  type SuppressedFinding,
  type VexStatement,
  type VexSummary,
} from '../evidence/parsers/vex/index.js';
import type { SignatureSummary } from '../evidence/signatures/index.js';
import type { PolicyInput, PolicyResult } from '../policy/policy-engine.js';
import type { PublisherRule } from '../publishers/publisher-match.js';
import type { RiskInput } from '../risk/index.js';
import type { EvidenceSnapshot } from './evidence-snapshot.js';

export interface VexOutcome {
  /** Findings that still count after VEX; null when no scan is attached. */
  findings: Finding[] | null;
  suppressed: SuppressedFinding[];
}

/**
 * Applies every VEX statement, the newest winning for the same vulnerability and products,
 * so a later "affected" undoes an earlier "not_affected".
 */
export function applySnapshotVex(snapshot: EvidenceSnapshot): VexOutcome {
  const scan = snapshot.vuln_scan?.summary as ScanSummary | undefined;
  if (!scan) return { findings: null, suppressed: [] };
  const latest = new Map<string, VexStatement>();
  for (const item of snapshot.vex) {
    for (const statement of (item.summary as unknown as VexSummary).statements) {
      const key = `${statement.vulnerability_id.toLowerCase()}|${[...statement.products].sort().join(',')}`;
      latest.delete(key);
      latest.set(key, statement);
    }
  }
  const { remaining, suppressed } = applyVex(scan.findings, [...latest.values()]);
  return { findings: remaining, suppressed };
}

export function policyInputOf(
  snapshot: EvidenceSnapshot,
  findings: Finding[] | null,
  /** Defaulted for bench/policy.ts, which times the rules without publishers. */
  publishers: readonly PublisherRule[] = [],
  /** Why the artifact's own signature does not count, when it carries one that fails. */
  signatureProblem: string | null = null,
): PolicyInput {
  const { intent } = snapshot;
  return {
    intent: {
      plane: intent.plane,
      app_version: intent.app_version,
      install_timeout_seconds: intent.install_timeout_seconds,
      uninstall_timeout_seconds: intent.uninstall_timeout_seconds,
      detection_method: intent.detection_method,
      detection_query: intent.detection_query,
      rollback_plan: intent.rollback_plan,
    },
    signature: (snapshot.signature?.summary as unknown as SignatureSummary | undefined) ?? null,
    sbom: snapshot.sbom
      ? { components: (snapshot.sbom.summary as unknown as SbomSummary).components }
      : null,
    findings,
    lab: (snapshot.lab?.summary as unknown as TestResultsSummary | undefined) ?? null,
    ring0: (snapshot.ring0?.summary as unknown as TestResultsSummary | undefined) ?? null,
    publishers,
    signature_problem: signatureProblem,
  };
}

/**
 * The risk model's inputs: vulnerabilities after VEX (an exception accepts a finding's risk,
 * it does not remove it), violations that remain, exceptions that were applied.
 */
export function riskInputOf(
  snapshot: EvidenceSnapshot,
  findings: Finding[] | null,
  policy: PolicyResult,
): RiskInput {
  const lab = snapshot.lab?.summary as unknown as TestResultsSummary | undefined;
  const ring0 = snapshot.ring0?.summary as unknown as TestResultsSummary | undefined;
  const sbom = snapshot.sbom?.summary as unknown as SbomSummary | undefined;
  return {
    vulnerabilities: findings
      ? {
          critical: findings.filter((f) => f.severity === 'critical').length,
          high: findings.filter((f) => f.severity === 'high').length,
        }
      : null,
    policy_violation_count: policy.violations.length,
    lab_coverage_percent: lab?.coverage_percent ?? null,
    exception_count: policy.exceptions_applied.length,
    ring0: ring0 ? { failed: ring0.failed, total: ring0.total } : null,
    transitive_dependency_count: sbom?.transitive_dependency_count ?? null,
    artifact_build_time: snapshot.intent.artifact.build_time,
    as_of: snapshot.as_of,
  };
}
