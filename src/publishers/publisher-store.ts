import type { DialectName, Executor } from '../platform/db/database.js';
import { forUpdate, updateAtRevision } from '../platform/db/revisioned.js';
import type { TrustedPublishersTable } from '../platform/db/schema.js';
import type { PublisherRule } from './publisher-match.js';

/** A trusted publisher as the API shows it: the rule and its bookkeeping. */
export interface TrustedPublisher extends PublisherRule {
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
  removed_at: string | null;
  removed_by: string | null;
}

/** Column by column, so nothing but the declared columns ever reaches the SQL. */
function toRow(p: TrustedPublisher): TrustedPublishersTable {
  return {
    id: p.id,
    name: p.name,
    name_key: nameKey(p.name),
    x509_subject: p.x509_subject,
    sigstore_san: p.sigstore_identity?.san ?? null,
    sigstore_issuer: p.sigstore_identity?.issuer ?? null,
    revision: p.revision,
    created_by: p.created_by,
    created_at: p.created_at,
    updated_by: p.updated_by,
    updated_at: p.updated_at,
    removed_at: p.removed_at,
    removed_by: p.removed_by,
  };
}

function fromRow(row: TrustedPublishersTable): TrustedPublisher {
  return {
    id: row.id,
    name: row.name,
    x509_subject: row.x509_subject,
    sigstore_identity:
      row.sigstore_san !== null && row.sigstore_issuer !== null
        ? { san: row.sigstore_san, issuer: row.sigstore_issuer }
        : null,
    revision: Number(row.revision),
    created_by: row.created_by,
    created_at: row.created_at,
    updated_by: row.updated_by,
    updated_at: row.updated_at,
    removed_at: row.removed_at,
    removed_by: row.removed_by,
  };
}

/** Names compare without case: "Contoso" and "contoso" in force together would be ambiguous. */
export const nameKey = (name: string): string => name.normalize('NFC').toLowerCase();

export async function insertPublisher(db: Executor, publisher: TrustedPublisher): Promise<void> {
  await db.insertInto('trusted_publishers').values(toRow(publisher)).execute();
}

/** Writes the new state if the stored revision is still `expectedRevision` (the caller holds the row). */
export async function updatePublisher(
  db: Executor,
  publisher: TrustedPublisher,
  expectedRevision: number,
): Promise<void> {
  const { id, created_by, created_at, ...changes } = toRow(publisher);
  await updateAtRevision(
    db,
    'trusted_publishers',
    id,
    changes,
    expectedRevision,
    'Trusted publisher',
  );
}

export async function findPublisher(
  db: Executor,
  id: string,
  lock?: DialectName,
): Promise<TrustedPublisher | undefined> {
  const query = db.selectFrom('trusted_publishers').selectAll().where('id', '=', id);
  const row = await (lock ? forUpdate(query, lock) : query).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** The publisher in force under this name (any case), if one is. */
export async function findInForceByName(
  db: Executor,
  name: string,
): Promise<TrustedPublisher | undefined> {
  const row = await db
    .selectFrom('trusted_publishers')
    .selectAll()
    .where('name_key', '=', nameKey(name))
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** By id (uuidv7: creation order), so matching walks publishers in a stable order. */
export async function listPublishers(
  db: Executor,
  includeRemoved: boolean,
): Promise<TrustedPublisher[]> {
  let query = db.selectFrom('trusted_publishers').selectAll();
  if (!includeRemoved) query = query.where('removed_at', 'is', null);
  const rows = await query.orderBy('id', 'asc').execute();
  return rows.map(fromRow);
}
