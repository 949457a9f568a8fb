import type { Executor } from '../platform/db/database.js';
import type { SessionsTable } from '../platform/db/schema.js';

/** The only SQL of dashboard sessions. */
export type SessionRow = SessionsTable;

export async function insertSession(db: Executor, session: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

export async function findSessionByHash(db: Executor, hash: string): Promise<SessionRow | null> {
  return (
    (await db
      .selectFrom('sessions')
      .selectAll()
      .where('session_hash', '=', hash)
      .executeTakeFirst()) ?? null
  );
}

/** Ends one session; false when it had already ended (a concurrent sign-out). */
export async function endSession(db: Executor, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ ended_at: at })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Ends the open sessions made from any of these tokens (revoked, or their user disabled);
 * returns the ones it ended. Sessions already past their expiry are ended too: they are
 * dead either way, and ending them records why.
 */
export async function endSessionsOfTokens(
  db: Executor,
  tokenIds: readonly string[],
  at: string,
): Promise<SessionRow[]> {
  if (tokenIds.length === 0) return [];
  const open = await db
    .selectFrom('sessions')
    .selectAll()
    .where('token_id', 'in', tokenIds)
    .where('ended_at', 'is', null)
    .orderBy('id', 'asc')
    .execute();
  if (open.length === 0) return [];
  await db
    .updateTable('sessions')
    .set({ ended_at: at })
    .where(
      'id',
      'in',
      open.map((session) => session.id),
    )
    .where('ended_at', 'is', null)
    .execute();
  return open;
}
