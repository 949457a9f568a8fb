import type { PackBody, TestEvidence } from './pack-body.js';
import { compareText, sortedDifference } from './pack-diff-sets.js';
import type {
  ArtifactDiff,
  DocumentChange,
  DocumentKind,
  ExceptionsDiff,
  TestCounts,
  TestStageDiff,
  TestsDiff,
} from './pack-diff-types.js';

/** Exceptions by id in `exception_records`: the snapshot of what waived something then. */
export function diffExceptions(before: PackBody, after: PackBody): ExceptionsDiff {
  const was = before.exception_records.map((e) => e.id);
  const now = after.exception_records.map((e) => e.id);
  return {
    added: sortedDifference(now, was),
    removed: sortedDifference(was, now),
    count: { from: before.exception_count, to: after.exception_count },
  };
}

export function diffTests(before: PackBody, after: PackBody): TestsDiff {
  return {
    summary: { from: before.test_summary, to: after.test_summary },
    lab: diffStage(before.test_evidence.lab, after.test_evidence.lab),
    ring0: diffStage(before.test_evidence.ring0, after.test_evidence.ring0),
  };
}

/** Counts only: a re-upload of identical results is no change here (its document hash is). */
function diffStage(before: TestEvidence | null, after: TestEvidence | null): TestStageDiff {
  const from = counts(before);
  const to = counts(after);
  return { from, to, changed: JSON.stringify(from) !== JSON.stringify(to) };
}

function counts(evidence: TestEvidence | null): TestCounts | null {
  if (!evidence) return null;
  // Fixed key order, so the JSON comparison above compares values, not insertion order.
  return {
    total: evidence.total,
    passed: evidence.passed,
    failed: evidence.failed,
    skipped: evidence.skipped,
    coverage_percent: evidence.coverage_percent,
    devices: evidence.devices,
    duration_seconds: evidence.duration_seconds,
  };
}

export function diffArtifact(before: PackBody, after: PackBody): ArtifactDiff {
  return {
    sha256: { from: before.artifact_sha256, to: after.artifact_sha256 },
    changed: before.artifact_sha256 !== after.artifact_sha256,
  };
}

/** The order of `documents_changed`: VEX right after the scan it qualifies. */
const DOCUMENT_ORDER: readonly DocumentKind[] = [
  'sbom',
  'vuln_scan',
  'vex',
  'signature',
  'lab',
  'ring0',
];

/**
 * Every referenced document whose bytes differ, by SHA-256, in DOCUMENT_ORDER. VEX documents
 * are a set: each one on one side only is its own entry (`from: null` = added, `to: null` =
 * removed), sorted by digest.
 */
export function diffDocuments(before: PackBody, after: PackBody): DocumentChange[] {
  const was = singleDocuments(before);
  const now = singleDocuments(after);
  const changes: DocumentChange[] = [];
  for (const kind of DOCUMENT_ORDER) {
    if (kind === 'vex') changes.push(...diffVex(before, after));
    else if (was[kind] !== now[kind]) changes.push({ kind, from: was[kind], to: now[kind] });
  }
  return changes;
}

function diffVex(before: PackBody, after: PackBody): DocumentChange[] {
  const was = vexDigests(before);
  const now = vexDigests(after);
  const entries = [
    ...sortedDifference(was, now).map((sha) => ({ sha, from: sha, to: null })),
    ...sortedDifference(now, was).map((sha) => ({ sha, from: null, to: sha })),
  ];
  return entries
    .sort((a, b) => compareText(a.sha, b.sha))
    .map(({ from, to }) => ({ kind: 'vex', from, to }));
}

function vexDigests(body: PackBody): string[] {
  return (body.vuln_scan_results?.vex_documents ?? []).map((d) => d.sha256);
}

function singleDocuments(body: PackBody): Record<Exclude<DocumentKind, 'vex'>, string | null> {
  return {
    sbom: body.sbom_data?.document.sha256 ?? null,
    vuln_scan: body.vuln_scan_results?.document.sha256 ?? null,
    signature: body.artifact_signature?.document.sha256 ?? null,
    lab: body.test_evidence.lab?.document.sha256 ?? null,
    ring0: body.test_evidence.ring0?.document.sha256 ?? null,
  };
}
