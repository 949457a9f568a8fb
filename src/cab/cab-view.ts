import type { PackBody } from '../packs/pack-body.js';
import type { CabRequestRecord, Condition, VerificationRecord, VoteRecord } from './cab-store.js';

/** A condition as clients see it: what was asked and whether someone checked it. */
export interface ConditionView extends Condition {
  verified: boolean;
  verified_by: string | null;
  verified_at: string | null;
  verification_notes: string | null;
}

/** One request as a queue row: its state and the pack's summary, without per-row queries. */
export interface CabRequestSummary {
  id: string;
  evidence_pack: { id: string; version: string; digest: string };
  deployment_intent: string;
  artifact_sha256: string;
  app_name: string;
  app_version: string;
  plane: string;
  change_type: CabRequestRecord['change_type'];
  risk_score: number;
  risk_model_version: string;
  recommendation: CabRequestRecord['recommendation'];
  risk_threshold_exceeded: boolean;
  policy_violations: Record<string, unknown>;
  violation_count: number;
  finding_counts: CabRequestRecord['finding_counts'];
  exception_count: number;
  exception_ids: string[];
  submitted_at: string;
  submitted_by: string;
  /** The submitter's email, so a queue reads as people rather than ids. */
  submitted_by_email: string | null;
  submission_justification: string;
  status: CabRequestRecord['status'];
  approvals_required: number;
  security_reviewer_required: boolean;
  approval_policy_version: string;
  votes_so_far: { approvals: number; denials: number; required: number };
  reviewed_at: string | null;
  reviewed_by: string | null;
  review_notes: string | null;
  authorization_expires_at: string | null;
  stale: boolean;
  stale_reasons: CabRequestRecord['stale_reasons'];
  post_review_due_at: string | null;
  superseded_by: string | null;
  rings: string[];
  revision: number;
  updated_at: string;
}

export function summaryOf(r: CabRequestRecord): CabRequestSummary {
  return {
    id: r.id,
    evidence_pack: { id: r.pack_id, version: r.pack_version, digest: r.pack_digest },
    deployment_intent: r.intent_id,
    artifact_sha256: r.artifact_sha256,
    app_name: r.app_name,
    app_version: r.app_version,
    plane: r.plane,
    change_type: r.change_type,
    risk_score: r.risk_score,
    risk_model_version: r.risk_model_version,
    recommendation: r.recommendation,
    risk_threshold_exceeded: r.risk_threshold_exceeded,
    policy_violations: r.policy_violations,
    violation_count: r.violation_count,
    finding_counts: r.finding_counts,
    exception_count: r.exception_count,
    exception_ids: r.exception_ids,
    submitted_at: r.submitted_at,
    submitted_by: r.submitted_by,
    submitted_by_email: r.submitted_by_email ?? null,
    submission_justification: r.submission_justification,
    status: r.status,
    approvals_required: r.approvals_required,
    security_reviewer_required: r.security_reviewer_required,
    approval_policy_version: r.approval_policy_version,
    votes_so_far: { approvals: r.approvals, denials: r.denials, required: r.approvals_required },
    reviewed_at: r.reviewed_at,
    reviewed_by: r.reviewed_by,
    review_notes: r.review_notes,
    authorization_expires_at: r.authorization_expires_at,
    stale: r.stale_reasons.length > 0,
    stale_reasons: r.stale_reasons,
    post_review_due_at: r.post_review_due_at,
    superseded_by: r.superseded_by,
    rings: r.rings,
    revision: r.revision,
    updated_at: r.updated_at,
  };
}

export function conditionViews(
  conditions: readonly Condition[],
  verifications: readonly VerificationRecord[],
): ConditionView[] {
  const byId = new Map(verifications.map((v) => [v.condition_id, v]));
  return conditions.map((c) => {
    const v = byId.get(c.id);
    return {
      ...c,
      verified: v !== undefined,
      verified_by: v?.verified_by ?? null,
      verified_at: v?.at ?? null,
      verification_notes: v?.notes ?? null,
    };
  });
}

export interface VoteView {
  reviewer: string;
  reviewer_email: string;
  reviewer_roles: string[];
  decision: VoteRecord['decision'];
  notes: string | null;
  conditions: Condition[];
  at: string;
}

export function voteView(v: VoteRecord): VoteView {
  return {
    reviewer: v.reviewer_id,
    reviewer_email: v.reviewer_email,
    reviewer_roles: v.reviewer_roles,
    decision: v.decision,
    notes: v.notes,
    conditions: v.conditions,
    at: v.at,
  };
}

/** What a reviewer reads first about the pack: the evidence, summarised. */
export function packSummaryOf(body: PackBody) {
  const sig = body.artifact_signature;
  const sbom = body.sbom_data?.summary ?? null;
  const scan = body.vuln_scan_results;
  const tests = (t: PackBody['test_evidence']['lab']) =>
    t && {
      total: t.total,
      passed: t.passed,
      failed: t.failed,
      skipped: t.skipped,
      coverage_percent: t.coverage_percent,
      devices: t.devices,
      duration_seconds: t.duration_seconds,
    };
  return {
    artifact: {
      sha256: body.artifact_sha256,
      filename: body.artifact_filename,
      size_bytes: body.artifact_size_bytes,
      publisher: body.artifact_publisher,
      build_time: body.artifact_build_time,
    },
    signature: sig
      ? {
          present: true,
          valid: sig.signature_valid && sig.chain_valid,
          method: sig.method,
          signer_subject: sig.signer_subject,
          issuer: sig.issuer,
        }
      : { present: false, valid: false, method: null, signer_subject: null, issuer: null },
    sbom: sbom && {
      format: body.sbom_format,
      component_count: sbom.component_count,
      direct_dependency_count: sbom.direct_dependency_count,
      transitive_dependency_count: sbom.transitive_dependency_count,
      license_count: sbom.licenses.length,
      licenses: sbom.licenses,
    },
    findings: scan && {
      tool: body.vuln_scan_tool,
      tool_version: scan.tool_version,
      severity_counts: scan.severity_counts,
      finding_count: scan.findings.length,
      vex_suppressed_count: scan.vex_suppressed.length,
      passed: body.vuln_scan_passed,
    },
    tests: {
      summary: body.test_summary,
      lab: tests(body.test_evidence.lab),
      ring0: tests(body.test_evidence.ring0),
    },
    rollout_plan: body.rollout_plan,
    rollback_plan: body.rollback_plan,
  };
}
