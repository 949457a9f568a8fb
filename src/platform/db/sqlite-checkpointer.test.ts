import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

describe('the SQLite checkpointer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-ckpt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('folds the WAL of another connection back into the file, off this thread', async () => {
    const file = join(dir, 'a.db');
    const db = new SqliteDatabase(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('create table t (x text)');
    const insert = db.prepare('insert into t values (?)');
    for (let i = 0; i < 500; i++) insert.run('x'.repeat(1000));
    const checkpointer = new SqliteCheckpointer(file);
    const [first, second] = await Promise.all([
      checkpointer.checkpoint(),
      checkpointer.checkpoint(),
    ]);
    expect(first.log).toBeGreaterThan(0);
    expect(first.checkpointed).toBe(first.log);
    expect(second.busy).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(500_000);
    await checkpointer.close();
    await checkpointer.close();
    db.close();
  });

  it('rejects, and starts afresh next time, when the database cannot be opened', async () => {
    const checkpointer = new SqliteCheckpointer(join(dir, 'missing', 'b.db'));
    await expect(checkpointer.checkpoint()).rejects.toThrow();
    await expect(checkpointer.checkpoint()).rejects.toThrow();
    await checkpointer.close();
  });
});
