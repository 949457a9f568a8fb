import type { PackBody } from './pack-body.js';
import { diffComponents } from './pack-diff-components.js';
import { diffArtifact, diffDocuments, diffExceptions, diffTests } from './pack-diff-evidence.js';
import { diffFindings } from './pack-diff-findings.js';
import { diffPolicy } from './pack-diff-policy.js';
import { diffRisk } from './pack-diff-risk.js';
import type { PackDiff } from './pack-diff-types.js';

export { componentIdentity, purlIdentity } from './pack-diff-identity.js';
export type * from './pack-diff-types.js';

/**
 * What changed from one evidence pack body to a later one: the view the CAB gets of a new
 * pack version (DESIGN "Evidence pack", versioning; docs/architecture/pack-diff.md).
 * Pure and deterministic (every list sorted by code unit), linear in the size of the packs
 * apart from sorting the changes: everything is matched through Maps keyed by identity.
 * Passing the packs the other way round swaps every from/to and added/removed pair.
 */
export function diffPacks(before: PackBody, after: PackBody): PackDiff {
  return {
    from: { version: before.version, as_of: before.as_of },
    to: { version: after.version, as_of: after.as_of },
    components: diffComponents(before.sbom_data?.summary ?? null, after.sbom_data?.summary ?? null),
    findings: diffFindings(before.vuln_scan_results, after.vuln_scan_results),
    policy: diffPolicy(before, after),
    risk: diffRisk(before.risk, after.risk),
    exceptions: diffExceptions(before, after),
    tests: diffTests(before, after),
    artifact: diffArtifact(before, after),
    documents_changed: diffDocuments(before, after),
  };
}

/**
 * True when the two packs differ in nothing the diff reports: only the version headers and
 * `unchanged_count` may differ (diffing a pack with a re-generated copy of itself is empty).
 */
export function isEmptyDiff(diff: PackDiff): boolean {
  const { components: c, findings: f, policy: p, risk: r, exceptions: e, tests: t } = diff;
  const lists = [
    c.added,
    c.removed,
    c.changed,
    c.licenses.added,
    c.licenses.removed,
    f.new,
    f.fixed,
    f.severity_changed,
    p.violations_added,
    p.violations_resolved,
    p.violations_changed,
    r.changed_factors,
    e.added,
    e.removed,
    diff.documents_changed,
  ];
  const pairs = [
    p.approved,
    p.set_version,
    r.score,
    r.recommendation,
    r.model_version,
    r.threshold_exceeded,
    e.count,
    t.summary,
  ];
  return (
    lists.every((list) => list.length === 0) &&
    pairs.every((pair) => pair.from === pair.to) &&
    !t.lab.changed &&
    !t.ring0.changed &&
    !diff.artifact.changed
  );
}
