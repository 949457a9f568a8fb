import type { Executor } from '../platform/db/database.js';
import type { EvidenceItemsTable } from '../platform/db/schema.js';
import type { EvidenceKind, TestStage } from './parse-evidence.js';

export interface EvidenceItem {
  id: string;
  intent_id: string;
  kind: EvidenceKind;
  format: string;
  spec_version: string | null;
  stage: TestStage | null;
  artifact_sha256: string;
  sha256: string;
  size_bytes: number;
  summary: Record<string, unknown>;
  warnings: string[];
  created_by: string;
  created_at: string;
}

function toItem(row: EvidenceItemsTable): EvidenceItem {
  return {
    id: row.id,
    intent_id: row.intent_id,
    kind: row.kind as EvidenceKind,
    format: row.format,
    spec_version: row.spec_version,
    stage: row.stage as TestStage | null,
    artifact_sha256: row.artifact_sha256,
    sha256: row.blob_sha256,
    size_bytes: Number(row.size_bytes),
    summary: JSON.parse(row.summary) as Record<string, unknown>,
    warnings: JSON.parse(row.warnings) as string[],
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

/** `summaryJson`, when given, is the summary already serialised (it is stored as is). */
export async function insertEvidence(
  db: Executor,
  item: EvidenceItem,
  summaryJson?: string,
): Promise<void> {
  await db
    .insertInto('evidence_items')
    .values({
      id: item.id,
      intent_id: item.intent_id,
      kind: item.kind,
      format: item.format,
      spec_version: item.spec_version,
      stage: item.stage,
      artifact_sha256: item.artifact_sha256,
      blob_sha256: item.sha256,
      size_bytes: item.size_bytes,
      summary: summaryJson ?? JSON.stringify(item.summary),
      warnings: JSON.stringify(item.warnings),
      created_by: item.created_by,
      created_at: item.created_at,
    })
    .execute();
}

export async function findEvidence(db: Executor, id: string): Promise<EvidenceItem | null> {
  const row = await db
    .selectFrom('evidence_items')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toItem(row) : null;
}

/** Every item of an intent, oldest first (ids are time-ordered). */
export async function listEvidence(
  db: Executor,
  intentId: string,
  kind?: EvidenceKind | undefined,
): Promise<EvidenceItem[]> {
  let query = db.selectFrom('evidence_items').selectAll().where('intent_id', '=', intentId);
  if (kind) query = query.where('kind', '=', kind);
  const rows = await query.orderBy('id', 'asc').execute();
  return rows.map(toItem);
}

/** The ids of an intent's items, without reading their summaries. */
export async function listEvidenceIds(db: Executor, intentId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('evidence_items')
    .select('id')
    .where('intent_id', '=', intentId)
    .orderBy('id', 'asc')
    .execute();
  return rows.map((r) => r.id);
}

/** What each of an intent's items is and for which artifact, without reading summaries. */
export async function listEvidenceKinds(
  db: Executor,
  intentId: string,
): Promise<{ kind: EvidenceKind; artifact_sha256: string }[]> {
  const rows = await db
    .selectFrom('evidence_items')
    .select(['kind', 'artifact_sha256'])
    .where('intent_id', '=', intentId)
    .execute();
  return rows.map((r) => ({ kind: r.kind as EvidenceKind, artifact_sha256: r.artifact_sha256 }));
}
