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

/**
 * The evidence id an artifact's embedded (Authenticode) signature takes in a snapshot: it is
 * read from the artifact, not uploaded as an evidence item, so no evidence_items row has it.
 */
const EMBEDDED_PREFIX = 'embedded:';

export function isEmbeddedSignatureItem(item: EvidenceItem): boolean {
  return item.id.startsWith(EMBEDDED_PREFIX);
}

/**
 * Signature evidence made of the artifact's own signature, for an intent with no separate
 * signature item: the document is the material kept at upload (PKCS#7 and digests), so a
 * pack's offline bundle carries what the verdict rests on, never the artifact itself.
 */
export function embeddedSignatureItem(
  intent: Intent,
  embedded: {
    format: 'pe' | 'msi';
    summary: Record<string, unknown>;
    material: { sha256: string; size_bytes: number };
    recorded_at: string;
  },
): EvidenceItem {
  return {
    id: `${EMBEDDED_PREFIX}${intent.artifact_sha256}`,
    intent_id: intent.id,
    kind: 'signature',
    format: `authenticode-${embedded.format}`,
    spec_version: null,
    stage: null,
    artifact_sha256: intent.artifact_sha256,
    sha256: embedded.material.sha256,
    size_bytes: embedded.material.size_bytes,
    summary: embedded.summary,
    warnings: [],
    created_by: intent.created_by,
    created_at: embedded.recorded_at,
  };
}
