import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { DatabaseSchema } from './schema.js';
import { type CheckpointResult, SqliteCheckpointer } from './sqlite-checkpointer.js';
import {
  ImmediateSqliteDialect,
  SqliteBooleanPlugin,
  withStatementCache,
} from './sqlite-dialect.js';

export type DialectName = 'sqlite' | 'postgres';
export type Db = Kysely<DatabaseSchema>;
export type Trx = Transaction<DatabaseSchema>;
/** Either the pool or an open transaction: store functions accept both. */
export type Executor = Db | Trx;

export interface Database {
  readonly dialect: DialectName;
  readonly db: Db;
  /** Runs `work` in one transaction: every query inside commits together or not at all. */
  transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T>;
  /**
   * SQLite: folds the WAL back into the database file, off the serving thread (see
   * SqliteCheckpointer for `onlyWhenIdle`). PostgreSQL manages its own WAL: nothing to do (null).
   */
  checkpoint(options?: { onlyWhenIdle?: boolean }): Promise<CheckpointResult | null>;
  close(): Promise<void>;
}

const INT8_OID = 20;

export interface DatabaseOptions {
  /** PostgreSQL pool size (default 10); SQLite has one connection. */
  poolSize?: number;
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  if (url.startsWith('sqlite:')) {
    return createSqlite(url.slice('sqlite:'.length));
  }
  return createPostgres(url, options.poolSize ?? 10);
}

function createSqlite(file: string): Database {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true });
  }
  const connection = new SqliteDatabase(file);
  // 16 KiB pages: a 1 MiB blob chunk takes 64 overflow pages instead of 256, while small rows
  // (audit events) keep their write rate (64 KiB pages halved it). Applies when the
  // file is created (an existing database keeps its page size until a VACUUM).
  connection.pragma('page_size = 16384');
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  // No checkpoint inside a request's COMMIT: with the default (every 1,000 pages) the commit
  // of a 256 MB upload copies all of it from the WAL into the database before answering.
  // The scheduler checkpoints instead (server.ts, job sqlite-checkpoint, every 250 ms), on a
  // worker thread.
  connection.pragma('wal_autocheckpoint = 0');
  connection.pragma('busy_timeout = 10000');
  connection.pragma('foreign_keys = ON');
  const db = new Kysely<DatabaseSchema>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(connection) }),
    plugins: [new SqliteBooleanPlugin()],
  });
  if (file === ':memory:') return wrap('sqlite', db);
  const checkpointer = new SqliteCheckpointer(file);
  return {
    ...wrap('sqlite', db),
    checkpoint: (options) => checkpointer.checkpoint(options),
    async close() {
      await checkpointer.close();
      await db.destroy();
    },
  };
}

function createPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // int8 (bigint, count(*)) arrives as a string by default; our values stay far below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
  return wrap('postgres', db);
}

/** Work registered to run inside a transaction just before it commits (see beforeCommit). */
const commitHooks = new WeakMap<Trx, (() => Promise<void>)[]>();

/**
 * Runs `hook` inside `trx` after its work and just before COMMIT. For what must be last in a
 * transaction and hold a shared lock only briefly (the audit chain's head). Only for
 * transactions opened by Database.transaction: anywhere else the hook could never run, so
 * that is refused.
 */
export function beforeCommit(trx: Trx, hook: () => Promise<void>): void {
  const hooks = commitHooks.get(trx);
  if (!hooks) throw new Error('beforeCommit needs a transaction opened by Database.transaction');
  hooks.push(hook);
}

/** Work to run once a transaction has committed (see afterCommit). */
const committedHooks = new WeakMap<Trx, (() => void)[]>();

/**
 * Runs `hook` after `trx` commits, never if it rolls back: for what must not happen inside a
 * transaction or before its change is visible (waking the outbox dispatcher). The hook is
 * synchronous and must not throw; slow work belongs to whoever it wakes. Outside a
 * transaction opened by Database.transaction it is ignored (nobody would run it).
 */
export function afterCommit(trx: Trx, hook: () => void): void {
  committedHooks.get(trx)?.push(hook);
}

function wrap(dialect: DialectName, db: Db): Database {
  return {
    dialect,
    db,
    transaction: async (work) => {
      const committed: (() => void)[] = [];
      const result = await db.transaction().execute(async (trx) => {
        const hooks: (() => Promise<void>)[] = [];
        commitHooks.set(trx, hooks);
        committedHooks.set(trx, committed);
        const result = await work(trx);
        // A hook may register another: run until none is left.
        for (let i = 0; i < hooks.length; i++) await hooks[i]!();
        return result;
      });
      for (const hook of committed) hook();
      return result;
    },
    checkpoint: async () => null,
    close: () => db.destroy(),
  };
}

/** Booleans come back as 0/1 from SQLite and as booleans from PostgreSQL. */
export function fromDbBool(value: boolean | number | null | undefined): boolean {
  return value === true || value === 1;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * Serialises a critical section across every process sharing the database. On PostgreSQL a
 * transaction-scoped advisory lock (released at commit); on SQLite the transaction already
 * holds the database's single write lock (BEGIN IMMEDIATE), so there is nothing more to take.
 */
export async function lockForTransaction(
  dialect: DialectName,
  trx: Trx,
  lockId: number,
): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(${lockId})`.execute(trx);
  }
}

/** Like lockForTransaction, but answers false instead of waiting when another holds it. */
export async function tryLockForTransaction(
  dialect: DialectName,
  trx: Trx,
  lockId: number,
): Promise<boolean> {
  if (dialect === 'sqlite') {
    return true;
  }
  const result = await sql<{
    locked: boolean;
  }>`select pg_try_advisory_xact_lock(${lockId}) as locked`.execute(trx);
  return result.rows[0]?.locked === true;
}

/** Advisory lock ids, one per critical section, in one place so they never collide. */
export const LOCKS = {
  auditAppend: 7_201_001,
  auditCheckpoint: 7_201_002,
  policySets: 7_201_003,
  approvalPolicies: 7_201_004,
  /** Scheduled sweeps: each runs on one instance at a time (runExclusive). */
  sweepExceptionExpiry: 7_201_101,
  sweepExceptionReminders: 7_201_102,
  sweepIdempotency: 7_201_103,
  sweepStaleUploads: 7_201_104,
  sweepAuditCheckpoint: 7_201_105,
  sweepSqliteCheckpoint: 7_201_106,
} as const;
