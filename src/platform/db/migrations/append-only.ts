import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Makes the database itself refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) on a table,
 * so append-only holds even for code, or people, that bypass the application.
 */
export async function makeAppendOnly<T>(
  db: Kysely<T>,
  dialect: DialectName,
  table: string,
): Promise<void> {
  const name = sql.raw(table);
  if (dialect === 'sqlite') {
    for (const op of ['update', 'delete'] as const) {
      await sql`create trigger ${sql.raw(`${table}_no_${op}`)} before ${sql.raw(op)} on ${name}
        begin select raise(abort, ${sql.lit(`${table} is append-only: ${op} refused`)}); end`.execute(
        db,
      );
    }
    return;
  }
  await sql`create or replace function cabinet_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only: % refused', tg_table_name, lower(tg_op)
        using errcode = 'restrict_violation';
    end $$`.execute(db);
  await sql`create trigger ${sql.raw(`${table}_no_update_delete`)} before update or delete on ${name}
    for each row execute function cabinet_refuse_change()`.execute(db);
  await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${name}
    for each statement execute function cabinet_refuse_change()`.execute(db);
}

/** Drops the triggers makeAppendOnly created; used by tests that tamper behind the app's back. */
export async function dropAppendOnly<T>(
  db: Kysely<T>,
  dialect: DialectName,
  table: string,
): Promise<void> {
  const triggers =
    dialect === 'sqlite'
      ? [`${table}_no_update`, `${table}_no_delete`]
      : [`${table}_no_update_delete`, `${table}_no_truncate`];
  for (const trigger of triggers) {
    if (dialect === 'sqlite') {
      await sql`drop trigger if exists ${sql.raw(trigger)}`.execute(db);
    } else {
      await sql`drop trigger if exists ${sql.raw(trigger)} on ${sql.raw(table)}`.execute(db);
    }
  }
}
