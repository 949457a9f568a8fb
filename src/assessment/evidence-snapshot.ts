import type { EvidenceItem } from '../evidence/evidence-store.js';
import type { Intent } from '../intents/intent-service.js';

/** The latest evidence of each kind for an intent's artifact: what policy and risk read. */
export interface EvidenceSnapshot {
  intent: Intent;
  sbom: EvidenceItem | null;
  vuln_scan: EvidenceItem | null;
  signature: EvidenceItem | null;
  lab: EvidenceItem | null;
  ring0: EvidenceItem | null;
  /** Every VEX document, oldest first: later statements override earlier ones. */
  vex: EvidenceItem[];
  as_of: string;
}

/**
 * Picks, from items in upload order, the newest of each kind that concerns the intent's
 * current artifact (evidence attached before its artifact changed does not count).
 */
export function snapshotOf(
  intent: Intent,
  items: readonly EvidenceItem[],
  asOf: string,
): EvidenceSnapshot {
  const relevant = items.filter((i) => i.artifact_sha256 === intent.artifact_sha256);
  const latest = (pick: (item: EvidenceItem) => boolean): EvidenceItem | null =>
    relevant.findLast(pick) ?? null;
  return {
    intent,
    sbom: latest((i) => i.kind === 'sbom'),
    vuln_scan: latest((i) => i.kind === 'vuln_scan'),
    signature: latest((i) => i.kind === 'signature'),
    lab: latest((i) => i.kind === 'test_results' && i.stage === 'lab'),
    ring0: latest((i) => i.kind === 'test_results' && i.stage === 'ring0'),
    vex: relevant.filter((i) => i.kind === 'vex'),
    as_of: asOf,
  };
}
