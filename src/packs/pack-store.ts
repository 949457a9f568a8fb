import type { Executor } from '../platform/db/database.js';
import type { EvidencePacksTable } from '../platform/db/schema.js';
import type { DsseEnvelope } from './dsse.js';
import type { PackBody } from './pack-body.js';

export interface StoredPack {
  id: string;
  intent_id: string;
  version: string;
  minor: number;
  previous_pack_id: string | null;
  artifact_sha256: string;
  digest: string;
  content_digest: string;
  /** The canonical JSON text exactly as stored (what the digest covers). */
  body_text: string;
  envelope: DsseEnvelope;
  created_by: string;
  created_at: string;
}

function toPack(row: EvidencePacksTable): StoredPack {
  return {
    id: row.id,
    intent_id: row.intent_id,
    version: row.version,
    minor: Number(row.minor),
    previous_pack_id: row.previous_pack_id,
    artifact_sha256: row.artifact_sha256,
    digest: row.digest,
    content_digest: row.content_digest,
    body_text: row.body,
    envelope: JSON.parse(row.envelope) as DsseEnvelope,
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

export function parseBody(pack: StoredPack): PackBody {
  return JSON.parse(pack.body_text) as PackBody;
}

export async function insertPack(
  db: Executor,
  pack: StoredPack,
  body: PackBody,
  documents: { evidence_id: string; sha256: string; kind: string }[],
): Promise<void> {
  await db
    .insertInto('evidence_packs')
    .values({
      id: pack.id,
      intent_id: pack.intent_id,
      version: pack.version,
      minor: pack.minor,
      previous_pack_id: pack.previous_pack_id,
      artifact_sha256: pack.artifact_sha256,
      digest: pack.digest,
      content_digest: pack.content_digest,
      body: pack.body_text,
      envelope: JSON.stringify(pack.envelope),
      policy_set_version: body.policy_set_version,
      policy_approved: body.policy_approved,
      risk_score: body.risk.score,
      risk_model_version: body.risk.model_version,
      recommendation: body.risk.recommendation,
      as_of: body.as_of,
      created_by: pack.created_by,
      created_at: pack.created_at,
    })
    .execute();
  for (const doc of documents) {
    await db
      .insertInto('evidence_pack_documents')
      .values({ pack_id: pack.id, ...doc })
      .execute();
  }
}

export async function findPack(db: Executor, id: string): Promise<StoredPack | null> {
  const row = await db
    .selectFrom('evidence_packs')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toPack(row) : null;
}

/**
 * The body alone, for readers that need no envelope (it holds the body again, in base64),
 * with the digest it must still hash to.
 */
export async function findPackBody(
  db: Executor,
  id: string,
): Promise<{ body_text: string; digest: string } | null> {
  const row = await db
    .selectFrom('evidence_packs')
    .select(['body', 'digest'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { body_text: row.body, digest: row.digest } : null;
}

export async function latestPack(db: Executor, intentId: string): Promise<StoredPack | null> {
  const row = await db
    .selectFrom('evidence_packs')
    .selectAll()
    .where('intent_id', '=', intentId)
    .orderBy('minor', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toPack(row) : null;
}

export interface PackListing {
  id: string;
  version: string;
  digest: string;
  previous_pack_id: string | null;
  policy_approved: boolean;
  risk_score: number;
  risk_model_version: string;
  recommendation: string;
  as_of: string;
  created_by: string;
  created_at: string;
}

export async function listPacks(db: Executor, intentId: string): Promise<PackListing[]> {
  const rows = await db
    .selectFrom('evidence_packs')
    .select([
      'id',
      'version',
      'digest',
      'previous_pack_id',
      'policy_approved',
      'risk_score',
      'risk_model_version',
      'recommendation',
      'as_of',
      'created_by',
      'created_at',
    ])
    .where('intent_id', '=', intentId)
    .orderBy('minor', 'asc')
    .execute();
  return rows.map((r) => ({
    ...r,
    policy_approved: r.policy_approved === true || r.policy_approved === 1,
    risk_score: Number(r.risk_score),
  }));
}

/** The ids of an intent's packs (id precedes the large columns: no overflow page is read). */
export async function listPackIds(db: Executor, intentId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('evidence_packs')
    .select('id')
    .where('intent_id', '=', intentId)
    .execute();
  return rows.map((r) => r.id);
}
