import { emptySeverityCounts, maxSeverity } from './severity.js';
import type { Finding, RawFinding, ScanSummary } from './types.js';

export function findingId(vulnerabilityId: string, pkg: string, version: string | null): string {
  return `${vulnerabilityId}|${pkg}|${version ?? ''}`;
}

/**
 * Merges observations into one finding per (vulnerability id, package, installed version):
 * the same vulnerability reported for several Trivy targets or SARIF locations is one risk,
 * and counting it per location would inflate the score. On a merge the highest severity
 * wins (the conservative reading), targets are unioned in first-seen order, and the first
 * non-null fixed version, purl and title are kept.
 */
export class FindingCollector {
  private readonly byId = new Map<string, { finding: Finding; targets: Set<string> }>();

  add(raw: RawFinding): void {
    const id = findingId(raw.vulnerability_id, raw.package, raw.installed_version);
    const existing = this.byId.get(id);
    if (existing === undefined) {
      const targets = new Set<string>();
      if (raw.target !== null) targets.add(raw.target);
      this.byId.set(id, {
        targets,
        finding: {
          id,
          vulnerability_id: raw.vulnerability_id,
          package: raw.package,
          installed_version: raw.installed_version,
          fixed_version: raw.fixed_version,
          severity: raw.severity,
          purl: raw.purl,
          targets: [],
          title: raw.title,
        },
      });
      return;
    }
    const { finding, targets } = existing;
    if (raw.target !== null) targets.add(raw.target);
    finding.severity = maxSeverity(finding.severity, raw.severity);
    finding.fixed_version ??= raw.fixed_version;
    finding.purl ??= raw.purl;
    finding.title ??= raw.title;
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    for (const { finding, targets } of this.byId.values()) {
      out.push({ ...finding, targets: [...targets] });
    }
    return out;
  }
}

export function summarize(
  tool: string,
  toolVersion: string | null,
  findings: Finding[],
): ScanSummary {
  const counts = emptySeverityCounts();
  for (const finding of findings) counts[finding.severity] += 1;
  return {
    tool,
    tool_version: toolVersion,
    finding_count: findings.length,
    severity_counts: counts,
    findings,
    passed: counts.critical === 0 && counts.high === 0,
  };
}
