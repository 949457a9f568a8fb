import { sql } from 'kysely';
import type { Database } from './database.js';

/** Sections running in this process (SQLite). */
const sqliteHeld = new Set<number>();

/**
 * Runs `work` unless another process sharing the database is running the same section:
 * on PostgreSQL a session advisory lock taken without waiting (held on a connection of its
 * own for as long as `work` runs, which uses other connections); on SQLite one process runs
 * the scheduler's sweeps in practice and a sweep's writes serialise on the write lock, so
 * in-process single flight is enough. Answers whether `work` ran, and what it answered.
 */
export async function runExclusive<T>(
  database: Database,
  lockId: number,
  work: () => Promise<T>,
): Promise<{ ran: true; result: T } | { ran: false }> {
  if (database.dialect === 'sqlite') {
    if (sqliteHeld.has(lockId)) return { ran: false };
    sqliteHeld.add(lockId);
    try {
      return { ran: true, result: await work() };
    } finally {
      sqliteHeld.delete(lockId);
    }
  }
  return database.db.connection().execute(async (connection) => {
    const { rows } = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_lock(${lockId}) as locked`.execute(connection);
    if (rows[0]?.locked !== true) return { ran: false as const };
    try {
      return { ran: true as const, result: await work() };
    } finally {
      await sql`select pg_advisory_unlock(${lockId})`.execute(connection);
    }
  });
}
