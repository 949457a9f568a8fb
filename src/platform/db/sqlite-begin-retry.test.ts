import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { beginImmediate } from './sqlite-dialect.js';

/** A connection on a real file whose own busy handler is off, so a held lock answers busy at once. */
function openPair() {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-begin-'));
  const file = join(dir, 'db.sqlite');
  const holder = new SqliteDatabase(file);
  holder.pragma('journal_mode = WAL');
  holder.exec('create table t (n integer)');
  const tested = new SqliteDatabase(file);
  tested.pragma('busy_timeout = 0');
  const statements: string[] = [];
  const connection: DatabaseConnection = {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      statements.push(query.sql);
      tested.exec(query.sql);
      return { rows: [] };
    },
    streamQuery() {
      throw new Error('not used');
    },
  };
  const close = () => {
    tested.close();
    holder.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { holder, tested, connection, statements, close };
}

describe('beginImmediate', () => {
  let close: () => void = () => undefined;
  afterEach(() => close());

  it('keeps trying while another connection holds the write lock, then begins', async () => {
    const pair = openPair();
    close = pair.close;
    pair.holder.exec('begin immediate');
    setTimeout(() => pair.holder.exec('commit'), 40);
    await beginImmediate(pair.connection, 5_000);
    expect(pair.tested.inTransaction).toBe(true);
    expect(pair.statements.length).toBeGreaterThan(1);
    pair.tested.exec('rollback');
  });

  it("gives up with SQLite's own busy error once its time is spent", async () => {
    const pair = openPair();
    close = () => {
      pair.holder.exec('rollback');
      pair.close();
    };
    pair.holder.exec('begin immediate');
    await expect(beginImmediate(pair.connection, 30)).rejects.toMatchObject({
      code: expect.stringMatching(/^SQLITE_BUSY/),
    });
    expect(pair.tested.inTransaction).toBe(false);
  });

  it('does not retry an error that is not busy', async () => {
    const pair = openPair();
    close = pair.close;
    pair.tested.exec('begin');
    await expect(beginImmediate(pair.connection, 5_000)).rejects.toThrow(/within a transaction/);
    expect(pair.statements).toHaveLength(1);
    pair.tested.exec('rollback');
  });
});
