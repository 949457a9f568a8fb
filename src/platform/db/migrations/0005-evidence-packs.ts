import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { makeAppendOnly } from './append-only.js';

export function evidencePacks(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('evidence_packs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('intent_id', 'text', (c) => c.notNull().references('intents.id'))
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('minor', 'integer', (c) => c.notNull())
        .addColumn('previous_pack_id', 'text')
        .addColumn('artifact_sha256', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('content_digest', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('envelope', 'text', (c) => c.notNull())
        .addColumn('policy_set_version', 'text', (c) => c.notNull())
        .addColumn('policy_approved', 'boolean', (c) => c.notNull())
        .addColumn('risk_score', 'integer', (c) => c.notNull())
        .addColumn('risk_model_version', 'text', (c) => c.notNull())
        .addColumn('recommendation', 'text', (c) => c.notNull())
        .addColumn('as_of', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('evidence_packs_intent_version', ['intent_id', 'version'])
        .execute();
      await db.schema
        .createTable('evidence_pack_documents')
        .addColumn('pack_id', 'text', (c) => c.notNull().references('evidence_packs.id'))
        .addColumn('evidence_id', 'text', (c) => c.notNull().references('evidence_items.id'))
        .addColumn('sha256', 'text', (c) => c.notNull().references('blobs.sha256'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('evidence_pack_documents_pk', ['pack_id', 'evidence_id'])
        .execute();
      await makeAppendOnly(db, dialect, 'evidence_packs');
      await makeAppendOnly(db, dialect, 'evidence_pack_documents');
    },
  };
}
