import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { makeAppendOnly } from './append-only.js';

export function exceptions(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // The current state, one row per exception; every change to it also lands, whole, in
      // exception_versions below, which the database keeps append-only.
      await db.schema
        .createTable('exceptions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('exception_type', 'text', (c) => c.notNull())
        .addColumn('artifact_sha256', 'text', (c) => c.notNull().references('artifacts.sha256'))
        .addColumn('finding_ids', 'text', (c) => c.notNull())
        .addColumn('rule_ids', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('compensating_controls', 'text', (c) => c.notNull())
        .addColumn('compensating_control_verification', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'text', (c) => c.notNull())
        .addColumn('approved_by', 'text')
        .addColumn('approved_at', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addColumn('decided_reason', 'text')
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // The policy engine asks "approved, for this artifact, not yet expired" on every
      // evaluation; the sweep asks "approved and due" every minute.
      await db.schema
        .createIndex('exceptions_artifact_status')
        .on('exceptions')
        .columns(['artifact_sha256', 'status', 'expires_at'])
        .execute();
      await db.schema
        .createIndex('exceptions_status_expiry')
        .on('exceptions')
        .columns(['status', 'expires_at'])
        .execute();

      await db.schema
        .createTable('exception_versions')
        .addColumn('exception_id', 'text', (c) => c.notNull().references('exceptions.id'))
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('transition', 'text', (c) => c.notNull())
        .addColumn('snapshot', 'text', (c) => c.notNull())
        .addColumn('changed_by', 'text', (c) => c.notNull())
        .addColumn('changed_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('exception_versions_pk', ['exception_id', 'revision'])
        .execute();
      await makeAppendOnly(db, dialect, 'exception_versions');
    },
  };
}
