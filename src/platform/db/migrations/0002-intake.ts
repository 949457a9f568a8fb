import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../database.js';
import { makeAppendOnly } from './append-only.js';

export function intake(dialect: DialectName): Migration {
  const bytes = dialect === 'postgres' ? sql`bytea` : sql`blob`;
  return {
    async up(db: Kysely<unknown>) {
      // Content-addressed blobs, split in chunks so no upload is ever held whole in memory.
      await db.schema
        .createTable('blobs')
        .addColumn('sha256', 'text', (c) => c.primaryKey())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('chunk_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('blob_chunks')
        .addColumn('sha256', 'text', (c) => c.notNull().references('blobs.sha256'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('data', bytes, (c) => c.notNull())
        .addPrimaryKeyConstraint('blob_chunks_pk', ['sha256', 'idx'])
        .execute();
      await makeAppendOnly(db, dialect, 'blobs');
      await makeAppendOnly(db, dialect, 'blob_chunks');

      await db.schema
        .createTable('artifacts')
        .addColumn('sha256', 'text', (c) => c.primaryKey())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('publisher', 'text', (c) => c.notNull())
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('build_time', 'text')
        .addColumn('content_stored', 'boolean', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('intents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_name', 'text', (c) => c.notNull())
        .addColumn('app_version', 'text', (c) => c.notNull())
        .addColumn('plane', 'text', (c) => c.notNull())
        .addColumn('artifact_sha256', 'text', (c) => c.notNull().references('artifacts.sha256'))
        .addColumn('install_command', 'text', (c) => c.notNull())
        .addColumn('install_timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('uninstall_command', 'text', (c) => c.notNull())
        .addColumn('uninstall_timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('detection_method', 'text', (c) => c.notNull())
        .addColumn('detection_query', 'text', (c) => c.notNull())
        .addColumn('rollout_plan', 'text', (c) => c.notNull())
        .addColumn('rollback_plan', 'text', (c) => c.notNull())
        .addColumn('justification', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('intents_status').on('intents').column('status').execute();
      await db.schema
        .createIndex('intents_artifact')
        .on('intents')
        .column('artifact_sha256')
        .execute();

      await db.schema
        .createTable('evidence_items')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('intent_id', 'text', (c) => c.notNull().references('intents.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('spec_version', 'text')
        .addColumn('stage', 'text')
        .addColumn('artifact_sha256', 'text', (c) => c.notNull())
        .addColumn('blob_sha256', 'text', (c) => c.notNull().references('blobs.sha256'))
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('warnings', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('evidence_items_intent')
        .on('evidence_items')
        .columns(['intent_id', 'kind', 'created_at'])
        .execute();
      await makeAppendOnly(db, dialect, 'evidence_items');

      await db.schema
        .createTable('trust_anchors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('fingerprint_sha256', 'text', (c) => c.notNull().unique())
        .addColumn('pem', 'text', (c) => c.notNull())
        .addColumn('not_before', 'text', (c) => c.notNull())
        .addColumn('not_after', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'text')
        .addColumn('removed_by', 'text')
        .execute();
    },
  };
}
