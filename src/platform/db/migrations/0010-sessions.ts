import type { Kysely, Migration } from 'kysely';

/**
 * Dashboard sessions: a browser signs in with an API token and keeps an opaque cookie. Only
 * the cookie value's SHA-256 is stored; the session names the token it was made from, so
 * revoking that token (or disabling its user) ends it. The same DDL on both dialects.
 */
export function sessions(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('session_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('token_id', 'text', (c) => c.notNull().references('api_tokens.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .execute();
      await db.schema
        .createIndex('sessions_token')
        .on('sessions')
        .columns(['token_id', 'ended_at'])
        .execute();
      await db.schema
        .createIndex('sessions_user')
        .on('sessions')
        .columns(['user_id', 'ended_at'])
        .execute();
    },
  };
}
