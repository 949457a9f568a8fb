import type { Kysely, SelectQueryBuilder } from 'kysely';
import { ConflictError } from '../errors.js';
import type { DialectName, Executor } from './database.js';

/** Any table whose rows carry an `id` and an optimistic `revision`. */
type RevisionedRow = { id: string; revision: number } & Record<string, unknown>;

/**
 * Writes `changes` to row `id` only if its stored revision is still `expectedRevision`.
 * Callers hold the row (see `forUpdate`), so this is the last line of defence against a
 * lost update, not the usual way a conflict is found: a mismatch is a 409
 * `revision_mismatch` naming the record.
 */
export async function updateAtRevision(
  db: Executor,
  table: string,
  id: string,
  changes: Record<string, unknown>,
  expectedRevision: number,
  what: string,
): Promise<void> {
  const loose = db as unknown as Kysely<Record<string, RevisionedRow>>;
  const result = await loose
    .updateTable(table)
    .set(changes)
    .where('id', '=', id)
    .where('revision', '=', expectedRevision)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) {
    throw new ConflictError(
      `${what} ${id} changed while this change was being made (expected revision ${expectedRevision}).`,
      'revision_mismatch',
    );
  }
}

/**
 * The columns of `next` whose value differs from `previous`, for an UPDATE that names only
 * those: SQLite rewrites an index entry whenever one of its columns is in the SET list, even
 * with the same value, and on the CAB request that is twelve indexes a vote need not touch.
 * Rows compare column by column as the store writes them (JSON already text).
 */
export function changedColumns<Row extends object>(next: Row, previous: Row): Partial<Row> {
  const before = previous as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(next).filter(([column, value]) => value !== before[column]),
  ) as Partial<Row>;
}

/**
 * Holds the selected rows until the transaction ends. On PostgreSQL a row lock (`of`
 * narrows it to one table of a join, so joined rows stay unlocked); on SQLite the
 * transaction already holds the database's single write lock (BEGIN IMMEDIATE).
 */
export function forUpdate<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  dialect: DialectName,
  of?: TB & string,
): SelectQueryBuilder<DB, TB, O> {
  if (dialect !== 'postgres') return query;
  return of === undefined ? query.forUpdate() : query.forUpdate(of);
}
