import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * Blob content moves to `blob_parts`, keyed by the upload that wrote it, so an artifact can
 * be written to the database while it arrives (each part in its own short statement) instead
 * of being staged to a file and copied again inside the final transaction. The blob appears
 * only when the transaction that records its artifact inserts the `blobs` row naming those
 * parts (`parts_upload_id`); rows from before keep their content in `blob_chunks` (NULL).
 *
 * Parts can be deleted while no blob names them (a refused or abandoned upload), never after:
 * the database refuses that, and any UPDATE, itself.
 */
export function blobParts(dialect: DialectName): Migration {
  const bytes = dialect === 'postgres' ? sql`bytea` : sql`blob`;
  return {
    async up(db: Kysely<unknown>) {
      // Uploads in flight, so a sweep can tell an abandoned one (old) from one still arriving.
      await db.schema
        .createTable('blob_uploads')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .execute();
      // The key columns first: reading them never walks the data's overflow pages.
      await db.schema
        .createTable('blob_parts')
        .addColumn('upload_id', 'text', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('data', bytes, (c) => c.notNull())
        .addPrimaryKeyConstraint('blob_parts_pk', ['upload_id', 'idx'])
        .execute();
      // Adding a nullable column rewrites nothing, so the append-only triggers stay quiet.
      await db.schema.alterTable('blobs').addColumn('parts_upload_id', 'text').execute();
      // Unique: one upload's parts belong to one blob. Also what the delete guard looks up.
      await db.schema
        .createIndex('blobs_parts_upload')
        .on('blobs')
        .column('parts_upload_id')
        .unique()
        .execute();
      await guardParts(db, dialect);
    },
  };
}

async function guardParts(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`create trigger blob_parts_no_update before update on blob_parts
      begin select raise(abort, 'blob_parts are immutable: update refused'); end`.execute(db);
    await sql`create trigger blob_parts_keep_stored before delete on blob_parts
      when exists (select 1 from blobs where parts_upload_id = old.upload_id)
      begin select raise(abort, 'blob_parts of a stored blob: delete refused'); end`.execute(db);
    return;
  }
  await sql`create or replace function cabinet_guard_blob_parts() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'DELETE' then
        raise exception 'blob_parts are immutable: % refused', lower(tg_op)
          using errcode = 'restrict_violation';
      end if;
      if exists (select 1 from blobs where parts_upload_id = old.upload_id) then
        raise exception 'blob_parts of a stored blob: delete refused'
          using errcode = 'restrict_violation';
      end if;
      return old;
    end $$`.execute(db);
  await sql`create trigger blob_parts_guard before update or delete on blob_parts
    for each row execute function cabinet_guard_blob_parts()`.execute(db);
  // TRUNCATE skips row triggers, so it would take stored parts with it: refused outright.
  await sql`create trigger blob_parts_no_truncate before truncate on blob_parts
    for each statement execute function cabinet_guard_blob_parts()`.execute(db);
}
