import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { makeAppendOnly } from './append-only.js';

/**
 * Delivery of the outbox: webhook endpoints per plane, the claim (who holds a message and
 * until when), a key that makes a scheduled message (an expiry reminder) exist once however
 * many instances enqueue it, and every delivery attempt as an append-only row.
 */
export function notifications(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('plane', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        /** JSON text: the event types it receives */
        .addColumn('events', 'text', (c) => c.notNull())
        /** `whsec_` + base64 of 32 random bytes; shown once, kept to sign deliveries. */
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        /** active | disabled (a 410, or an admin) | deleted */
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('disabled_reason', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('webhook_endpoints_plane')
        .on('webhook_endpoints')
        .columns(['plane', 'status'])
        .execute();

      await db.schema.alterTable('outbox_messages').addColumn('endpoint_id', 'text').execute();
      await db.schema.alterTable('outbox_messages').addColumn('dedupe_key', 'text').execute();
      await db.schema.alterTable('outbox_messages').addColumn('claimed_by', 'text').execute();
      await db.schema.alterTable('outbox_messages').addColumn('lease_until', 'text').execute();
      await db.schema
        .createIndex('outbox_messages_dedupe')
        .on('outbox_messages')
        .column('dedupe_key')
        .unique()
        .execute();
      // The dispatcher's claim: pending, of the channels configured, oldest due first (an
      // unconfigured channel's backlog must not be scanned at every claim).
      await db.schema
        .createIndex('outbox_messages_due_by_channel')
        .on('outbox_messages')
        .columns(['status', 'channel', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('outbox_messages_endpoint')
        .on('outbox_messages')
        .columns(['endpoint_id', 'status'])
        .execute();

      await db.schema
        .createTable('outbox_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('message_id', 'text', (c) =>
          c.notNull().references('outbox_messages.id').onDelete('restrict'),
        )
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text', (c) => c.notNull())
        /** delivered | failed | gone (410: the endpoint asked to be disabled) */
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('instance', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('outbox_attempts_message')
        .on('outbox_attempts')
        .columns(['message_id', 'attempt'])
        .execute();
      await makeAppendOnly(db, dialect, 'outbox_attempts');
    },
  };
}
