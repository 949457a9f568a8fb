import type { Assessment } from '../assessment/assessment-service.js';
import type { EvidenceItem } from '../evidence/evidence-store.js';
import type { SbomSummary } from '../evidence/parsers/sbom/index.js';
import type { ScanSummary, Severity } from '../evidence/parsers/scan/index.js';
import type { TestResultsSummary } from '../evidence/parsers/test-results/index.js';
import type { SignatureSummary } from '../evidence/signatures/index.js';
import {
  canonicalDigest,
  canonicalJson,
  joinCanonicalMembers,
  sha256Hex,
} from '../platform/crypto/canonical-json.js';
import type { ProblemDetail } from '../platform/errors.js';
import type { DocumentRef, PackBody, TestEvidence } from './pack-body.js';

export interface PackMeta {
  version: string;
  previous_version: string | null;
  previous_pack_id: string | null;
  created_at: string;
  created_by: string;
}

export function documentRef(item: EvidenceItem): DocumentRef {
  return {
    evidence_id: item.id,
    kind: item.kind,
    format: item.format,
    spec_version: item.spec_version,
    sha256: item.sha256,
    size_bytes: item.size_bytes,
    created_at: item.created_at,
  };
}

function testEvidence(item: EvidenceItem | null): TestEvidence | null {
  if (!item) return null;
  const s = item.summary as unknown as TestResultsSummary;
  return {
    stage: s.stage,
    document: documentRef(item),
    total: s.total,
    passed: s.passed,
    failed: s.failed,
    skipped: s.skipped,
    coverage_percent: s.coverage_percent,
    devices: s.devices,
    duration_seconds: s.duration_seconds,
  };
}

/** pass: both stages present and nothing failed; fail: anything failed; partial: otherwise. */
export function testSummaryOf(
  lab: TestEvidence | null,
  ring0: TestEvidence | null,
): PackBody['test_summary'] {
  if ((lab?.failed ?? 0) > 0 || (ring0?.failed ?? 0) > 0) return 'fail';
  return lab && ring0 && lab.total > 0 && ring0.total > 0 ? 'pass' : 'partial';
}

/**
 * What stops a pack from being generated at all: evidence it cannot stand without, and
 * critical findings nobody has accepted. Everything else goes into the pack for the CAB.
 */
export function packBlockers(
  assessment: Assessment,
  allItems: readonly Pick<EvidenceItem, 'kind' | 'artifact_sha256'>[],
): ProblemDetail[] {
  const { snapshot } = assessment;
  const problems: ProblemDetail[] = [];
  const elsewhere = (kind: string) =>
    allItems.some((i) => i.kind === kind && i.artifact_sha256 !== snapshot.intent.artifact_sha256);
  for (const [kind, item, label] of [
    ['sbom', snapshot.sbom, 'an SBOM'],
    ['vuln_scan', snapshot.vuln_scan, 'a vulnerability scan'],
  ] as const) {
    if (item) continue;
    problems.push({
      path: `/evidence/${kind}`,
      message: elsewhere(kind)
        ? `${label} is attached, but for another artifact than ${snapshot.intent.artifact_sha256}; attach one for this artifact`
        : `${label} is required: attach one (kind=${kind})`,
    });
  }
  const waived = new Set(assessment.policy.waived.flatMap((w) => w.finding_ids));
  for (const finding of assessment.findings ?? []) {
    if (finding.severity === 'critical' && !waived.has(finding.id)) {
      problems.push({
        path: `/findings/${finding.id}`,
        message:
          `critical finding ${finding.vulnerability_id} in ${finding.package} ${finding.installed_version ?? ''} has no approved exception`.trimEnd(),
      });
    }
  }
  return problems;
}

/** Assembles the pack body from one assessment: every field from its source, nothing else. */
export function buildPackBody(assessment: Assessment, meta: PackMeta): PackBody {
  const { snapshot, policy, risk } = assessment;
  const { artifact, ...intent } = snapshot.intent;
  const scan = snapshot.vuln_scan;
  const scanSummary = scan?.summary as unknown as ScanSummary | undefined;
  const findings = assessment.findings ?? [];
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  for (const f of findings) counts[f.severity] += 1;
  const lab = testEvidence(snapshot.lab);
  const ring0 = testEvidence(snapshot.ring0);
  const sbom = snapshot.sbom;
  const publisher = policy.trusted_publisher;
  const body: PackBody = {
    deployment_intent: intent,
    artifact_sha256: artifact.sha256,
    artifact_signature: snapshot.signature
      ? {
          ...(snapshot.signature.summary as unknown as SignatureSummary),
          document: documentRef(snapshot.signature),
        }
      : null,
    artifact_size_bytes: artifact.size_bytes,
    // DESIGN: the matched publisher's name stands in for a publisher the artifact lacks.
    artifact_publisher:
      artifact.publisher.trim() === '' && publisher?.matched
        ? publisher.matched.name
        : artifact.publisher,
    artifact_filename: artifact.filename,
    artifact_build_time: artifact.build_time,
    sbom_format: sbom ? (sbom.format as 'cyclonedx' | 'spdx') : null,
    sbom_data: sbom
      ? { document: documentRef(sbom), summary: sbom.summary as unknown as SbomSummary }
      : null,
    vuln_scan_tool: scanSummary?.tool ?? null,
    vuln_scan_results:
      scan && scanSummary
        ? {
            document: documentRef(scan),
            tool_version: scanSummary.tool_version,
            severity_counts: counts,
            findings,
            vex_suppressed: assessment.vex_suppressed,
            vex_documents: snapshot.vex.map(documentRef),
          }
        : null,
    vuln_scan_passed: scan !== null && counts.critical === 0 && counts.high === 0,
    install_command: intent.install_command,
    install_timeout_seconds: intent.install_timeout_seconds,
    uninstall_command: intent.uninstall_command,
    uninstall_timeout_seconds: intent.uninstall_timeout_seconds,
    detection_method: intent.detection_method,
    detection_query: intent.detection_query,
    rollout_plan: intent.rollout_plan,
    rollback_plan: intent.rollback_plan,
    test_evidence: { lab, ring0 },
    test_summary: testSummaryOf(lab, ring0),
    policy_violations: Object.fromEntries(policy.violations.map((v) => [v.rule_id, v])),
    policy_waived: policy.waived,
    policy_approved: policy.approved,
    policy_set_version: assessment.policy_set.version,
    policy_rules_checked: policy.rules_checked,
    has_exceptions: assessment.exceptions.length > 0,
    exception_count: assessment.exceptions.length,
    exception_records: assessment.exceptions,
    risk,
    version: meta.version,
    previous_version: meta.previous_version,
    previous_pack_id: meta.previous_pack_id,
    created_at: meta.created_at,
    created_by: meta.created_by,
    is_immutable: true,
    as_of: snapshot.as_of,
  };
  // Recorded only once publishers exist, so packs of intents without any keep their digests.
  if (publisher) body.policy_trusted_publisher = publisher;
  return body;
}

/** Every stored document a body refers to. */
export function referencedDocuments(body: PackBody): DocumentRef[] {
  return [
    body.sbom_data?.document,
    body.vuln_scan_results?.document,
    ...(body.vuln_scan_results?.vex_documents ?? []),
    body.artifact_signature?.document,
    body.test_evidence.lab?.document,
    body.test_evidence.ring0?.document,
  ].filter((d): d is DocumentRef => d !== undefined);
}

const VOLATILE = new Set([
  'version',
  'previous_version',
  'previous_pack_id',
  'created_at',
  'created_by',
  'as_of',
]);

/**
 * Digest of the facts alone: the pack's own bookkeeping and the intent's status, revision
 * and updated_at are left out. The intent's fields are facts, but it is edited only as a
 * draft, before any pack; after that its revision moves only with its status (submitted,
 * back to ready on a new version), which follows from the packs, not into them. The artifact's age is measured to
 * `as_of`, so its raw day count and its explanation change with the clock alone: only its
 * normalised step counts, so a pack generated again on unchanged evidence is the same pack
 * until the age crosses a step of the rubric (which changes the score).
 */
export function contentDigest(body: PackBody): string {
  const facts = Object.fromEntries(Object.entries(body).filter(([key]) => !VOLATILE.has(key)));
  const { status: _s, revision: _r, updated_at: _u, ...intent } = body.deployment_intent;
  return canonicalDigest({ ...facts, deployment_intent: intent, risk: riskFacts(body.risk) });
}

/** contentDigest(body), from the canonical texts of the body's members (canonicalMembers(body)). */
export function contentDigestOfMembers(
  body: PackBody,
  members: ReadonlyMap<string, string>,
): string {
  const facts = new Map([...members].filter(([key]) => !VOLATILE.has(key)));
  const { status: _s, revision: _r, updated_at: _u, ...intent } = body.deployment_intent;
  facts.set('deployment_intent', canonicalJson(intent));
  facts.set('risk', canonicalJson(riskFacts(body.risk)));
  return sha256Hex(joinCanonicalMembers(facts));
}

function riskFacts(risk: PackBody['risk']): unknown {
  const age = risk.factors.artifact_age;
  if (!age) return risk;
  const { raw: _raw, explanation: _explanation, ...step } = age;
  return { ...risk, factors: { ...risk.factors, artifact_age: step } };
}
