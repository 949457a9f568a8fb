import type { Finding } from '../evidence/parsers/scan/index.js';
import type { PackBody } from './pack-body.js';
import { compareText, indexFirst } from './pack-diff-sets.js';
import type { FindingsDiff, SeverityChange } from './pack-diff-types.js';

type ScanResults = PackBody['vuln_scan_results'];

/**
 * Compares findings by id (`vulnerability|package|installed_version`, stable across scans).
 * The pack's `findings` are those left after VEX, i.e. what policy and risk saw, so a finding
 * a new VEX statement suppresses is `fixed` (and listed in `vex.now_suppressed`). A missing
 * scan has no findings: every finding of the other side is new or fixed, and the scan
 * document itself shows up in `documents_changed`.
 */
export function diffFindings(before: ScanResults, after: ScanResults): FindingsDiff {
  const was = indexFirst(before?.findings ?? [], (f) => f.id);
  const now = indexFirst(after?.findings ?? [], (f) => f.id);
  const fresh: Finding[] = [];
  const fixed: Finding[] = [];
  const severityChanged: SeverityChange[] = [];

  for (const [id, finding] of now) {
    const previous = was.get(id);
    if (!previous) fresh.push(finding);
    else if (previous.severity !== finding.severity) {
      severityChanged.push({ id, from: previous.severity, to: finding.severity });
    }
  }
  for (const [id, finding] of was) if (!now.has(id)) fixed.push(finding);

  const byId = (a: { id: string }, b: { id: string }) => compareText(a.id, b.id);
  fresh.sort(byId);
  fixed.sort(byId);
  const suppressedNow = suppressedIds(after);
  const suppressedBefore = suppressedIds(before);
  return {
    new: fresh,
    fixed,
    severity_changed: severityChanged.sort(byId),
    vex: {
      now_suppressed: fixed.filter((f) => suppressedNow.has(f.id)).map((f) => f.id),
      no_longer_suppressed: fresh.filter((f) => suppressedBefore.has(f.id)).map((f) => f.id),
    },
  };
}

function suppressedIds(results: ScanResults): Set<string> {
  return new Set((results?.vex_suppressed ?? []).map((s) => s.finding_id));
}
