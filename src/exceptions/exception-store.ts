import { sql } from 'kysely';
import type { DialectName, Executor, Trx } from '../platform/db/database.js';
import { forUpdate, updateAtRevision } from '../platform/db/revisioned.js';
import type { ExceptionsTable } from '../platform/db/schema.js';
import type { ExceptionStatus, ExceptionType, Transition } from './exception-rules.js';

/** An exception as stored: the current state, with its id lists parsed. */
export interface ExceptionRecord {
  id: string;
  exception_type: ExceptionType;
  artifact_sha256: string;
  finding_ids: string[];
  rule_ids: string[];
  description: string;
  compensating_controls: string;
  compensating_control_verification: string | null;
  expires_at: string;
  status: ExceptionStatus;
  requested_by: string;
  requested_at: string;
  approved_by: string | null;
  approved_at: string | null;
  decided_by: string | null;
  decided_at: string | null;
  decided_reason: string | null;
  revision: number;
  updated_at: string;
}

export interface VersionRecord {
  exception_id: string;
  revision: number;
  transition: Transition;
  snapshot: ExceptionRecord;
  changed_by: string;
  changed_at: string;
}

export interface ExceptionFilters {
  /** Compared with the status as read at `now` (an approved one past expiry is `expired`). */
  status?: ExceptionStatus | undefined;
  artifact_sha256?: string | undefined;
  requested_by?: string | undefined;
  /** Pending or approved, expiring after `now` and no later than this instant. */
  expiringBy?: Date | undefined;
  now: Date;
  afterId?: string | undefined;
  limit: number;
}

/** Column by column, so nothing but the declared columns ever reaches the SQL. */
function toRow(record: ExceptionRecord): ExceptionsTable {
  return {
    id: record.id,
    exception_type: record.exception_type,
    artifact_sha256: record.artifact_sha256,
    finding_ids: JSON.stringify(record.finding_ids),
    rule_ids: JSON.stringify(record.rule_ids),
    description: record.description,
    compensating_controls: record.compensating_controls,
    compensating_control_verification: record.compensating_control_verification,
    expires_at: record.expires_at,
    status: record.status,
    requested_by: record.requested_by,
    requested_at: record.requested_at,
    approved_by: record.approved_by,
    approved_at: record.approved_at,
    decided_by: record.decided_by,
    decided_at: record.decided_at,
    decided_reason: record.decided_reason,
    revision: record.revision,
    updated_at: record.updated_at,
  };
}

function toRecord(row: ExceptionsTable): ExceptionRecord {
  return {
    ...row,
    exception_type: row.exception_type as ExceptionType,
    status: row.status as ExceptionStatus,
    finding_ids: JSON.parse(row.finding_ids) as string[],
    rule_ids: JSON.parse(row.rule_ids) as string[],
    revision: Number(row.revision),
  };
}

export async function insertException(db: Executor, record: ExceptionRecord): Promise<void> {
  await db.insertInto('exceptions').values(toRow(record)).execute();
}

/** Writes the new state if the stored revision is still `expectedRevision` (the caller holds the row). */
export async function updateException(
  db: Executor,
  record: ExceptionRecord,
  expectedRevision: number,
): Promise<void> {
  const { id, requested_by, requested_at, ...changes } = toRow(record);
  await updateAtRevision(db, 'exceptions', id, changes, expectedRevision, 'Exception');
}

export async function findException(db: Executor, id: string): Promise<ExceptionRecord | null> {
  const row = await db.selectFrom('exceptions').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/**
 * Reads an exception and holds it until the transaction ends: on PostgreSQL a row lock, so
 * a concurrent decision waits and then sees the state this one leaves; on SQLite the
 * transaction already holds the database's single write lock (BEGIN IMMEDIATE).
 */
export async function findExceptionForUpdate(
  trx: Trx,
  dialect: DialectName,
  id: string,
): Promise<ExceptionRecord | null> {
  const query = trx.selectFrom('exceptions').selectAll().where('id', '=', id);
  const row = await forUpdate(query, dialect).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function listExceptions(
  db: Executor,
  filters: ExceptionFilters,
): Promise<ExceptionRecord[]> {
  const now = filters.now.toISOString();
  let query = db.selectFrom('exceptions').selectAll();
  if (filters.status === 'approved') {
    query = query.where('status', '=', 'approved').where('expires_at', '>', now);
  } else if (filters.status === 'expired') {
    // Expired by the sweep, or by time before the sweep got to it.
    query = query.where((eb) =>
      eb.or([
        eb('status', '=', 'expired'),
        eb.and([eb('status', '=', 'approved'), eb('expires_at', '<=', now)]),
      ]),
    );
  } else if (filters.status) {
    query = query.where('status', '=', filters.status);
  }
  if (filters.expiringBy) {
    query = query
      .where('status', 'in', ['pending', 'approved'])
      .where('expires_at', '>', now)
      .where('expires_at', '<=', filters.expiringBy.toISOString());
  }
  if (filters.artifact_sha256) {
    query = query.where('artifact_sha256', '=', filters.artifact_sha256);
  }
  if (filters.requested_by) query = query.where('requested_by', '=', filters.requested_by);
  if (filters.afterId) query = query.where('id', '>', filters.afterId);
  const rows = await query.orderBy('id', 'asc').limit(filters.limit).execute();
  return rows.map(toRecord);
}

/** Approved for this artifact and unexpired at `at`: the sweep is not waited for. */
export async function listActive(
  db: Executor,
  artifactSha256: string,
  at: Date,
): Promise<ExceptionRecord[]> {
  const rows = await db
    .selectFrom('exceptions')
    .selectAll()
    .where('artifact_sha256', '=', artifactSha256)
    .where('status', '=', 'approved')
    .where('expires_at', '>', at.toISOString())
    .orderBy('id', 'asc')
    .execute();
  return rows.map(toRecord);
}

/** Ids of approved exceptions due to expire at `now`, oldest first. */
export async function listDue(db: Executor, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('exceptions')
    .select('id')
    .where('status', '=', 'approved')
    .where('expires_at', '<=', now.toISOString())
    .orderBy('id', 'asc')
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Marks one exception expired only if it is still approved and due. True when this call
 * made the change: of several sweeps racing, exactly one sees its update touch the row
 * (PostgreSQL re-checks the condition after waiting on the row lock; SQLite serialises).
 */
export async function markExpired(
  trx: Trx,
  id: string,
  now: Date,
): Promise<ExceptionRecord | null> {
  const at = now.toISOString();
  const result = await trx
    .updateTable('exceptions')
    .set({ status: 'expired', revision: sql<number>`revision + 1`, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', 'approved')
    .where('expires_at', '<=', at)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return null;
  return findException(trx, id);
}

export async function insertVersion(db: Executor, version: VersionRecord): Promise<void> {
  await db
    .insertInto('exception_versions')
    .values({
      exception_id: version.exception_id,
      revision: version.revision,
      transition: version.transition,
      snapshot: JSON.stringify(version.snapshot),
      changed_by: version.changed_by,
      changed_at: version.changed_at,
    })
    .execute();
}

export async function listVersions(db: Executor, exceptionId: string): Promise<VersionRecord[]> {
  const rows = await db
    .selectFrom('exception_versions')
    .selectAll()
    .where('exception_id', '=', exceptionId)
    .orderBy('revision', 'asc')
    .execute();
  return rows.map((row) => ({
    ...row,
    revision: Number(row.revision),
    transition: row.transition as Transition,
    snapshot: JSON.parse(row.snapshot) as ExceptionRecord,
  }));
}
