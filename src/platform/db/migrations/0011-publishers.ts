import { type Kysely, type Migration, sql } from 'kysely';

/**
 * What "signed by a trusted publisher" reads: the publishers an admin names (an X.509 subject
 * and/or a Sigstore keyless identity) and the Sigstore trusted roots keyless bundles are
 * checked against. Rows are never deleted: removal stamps `removed_at`, so an audit or a pack
 * naming a publisher's id and revision can still be read back. The same DDL on both dialects.
 */
export function publishers(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('trusted_publishers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        // Lower-cased name: two publishers in force may not differ only by case, since the
        // name becomes a pack's artifact_publisher.
        .addColumn('name_key', 'text', (c) => c.notNull())
        .addColumn('x509_subject', 'text')
        .addColumn('sigstore_san', 'text')
        .addColumn('sigstore_issuer', 'text')
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'text')
        .addColumn('removed_by', 'text')
        .execute();
      await db.schema
        .createIndex('trusted_publishers_name_in_force')
        .unique()
        .on('trusted_publishers')
        .column('name_key')
        .where(sql.ref('removed_at'), 'is', null)
        .execute();

      await db.schema
        .createTable('sigstore_roots')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        // SHA-256 of `document`, the RFC 8785 canonical JSON of the trusted_root.json.
        .addColumn('sha256', 'text', (c) => c.notNull().unique())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'text')
        .addColumn('removed_by', 'text')
        .execute();
    },
  };
}
