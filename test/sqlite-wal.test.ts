import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SqliteCheckpointer,
  WAL_TRUNCATE_ABOVE_BYTES,
} from '../src/platform/db/sqlite-checkpointer.js';
import { startTestApp } from './test-app.js';

const MIB = 1024 * 1024;
const walBytes = (file: string) => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

/** A WAL-mode database that, like the server's connection, never checkpoints on commit. */
function walDatabase(file: string) {
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('create table t (x blob)');
  const insert = db.prepare('insert into t values (?)');
  return { db, write: (mib: number) => insert.run(randomBytes(mib * MIB)) };
}

describe('the SQLite WAL after large writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-wal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('truncates a WAL over the limit, and only copies back one under it', async () => {
    const file = join(dir, 'big.db');
    const { db, write } = walDatabase(file);
    const checkpointer = new SqliteCheckpointer(file, { truncateAboveBytes: 2 * MIB });
    try {
      write(1);
      const small = await checkpointer.checkpoint();
      expect(small).toMatchObject({ busy: 0, truncated: false });
      expect(small.checkpointed).toBe(small.log);
      expect(walBytes(file)).toBeGreaterThan(MIB);

      write(3);
      expect(walBytes(file)).toBeGreaterThan(3 * MIB);
      expect(await checkpointer.checkpoint()).toMatchObject({ busy: 0, truncated: true });
      expect(walBytes(file)).toBe(0);
      // The data went into the database file, and the serving connection writes on.
      expect(statSync(file).size).toBeGreaterThan(4 * MIB);
      write(1);
      expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: 3 });
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it('leaves the WAL for a later round while a reader holds an older snapshot', async () => {
    const file = join(dir, 'read.db');
    const { db, write } = walDatabase(file);
    const reader = new SqliteDatabase(file);
    const checkpointer = new SqliteCheckpointer(file, { truncateAboveBytes: MIB });
    try {
      write(2);
      reader.exec('begin');
      reader.prepare('select count(*) from t').get();
      write(2);
      // PASSIVE cannot copy the frames the reader's snapshot predates, so no TRUNCATE is tried
      // (it would hold the writer lock waiting for that reader).
      const blocked = await checkpointer.checkpoint();
      expect(blocked.truncated).toBe(false);
      expect(blocked.checkpointed).toBeLessThan(blocked.log);
      expect(walBytes(file)).toBeGreaterThan(3 * MIB);
      write(1);
      reader.exec('commit');
      expect(await checkpointer.checkpoint()).toMatchObject({ truncated: true });
      expect(walBytes(file)).toBe(0);
    } finally {
      await checkpointer.close();
      reader.close();
      db.close();
    }
  });

  it('truncates in a periodic round only once nothing was written for a while', async () => {
    const file = join(dir, 'idle.db');
    const { db, write } = walDatabase(file);
    const checkpointer = new SqliteCheckpointer(file, {
      truncateAboveBytes: 2 * MIB,
      idleMs: 1_500,
    });
    try {
      await checkpointer.checkpoint({ onlyWhenIdle: true });
      write(3);
      // Copied back, but a writer was at work since the last round: no TRUNCATE to stop it.
      const busy = await checkpointer.checkpoint({ onlyWhenIdle: true });
      expect(busy).toMatchObject({ busy: 0, truncated: false });
      expect(busy.checkpointed).toBe(busy.log);
      expect(walBytes(file)).toBeGreaterThan(3 * MIB);
      // Nothing written since, but not for long enough yet: the WAL keeps its size.
      expect(await checkpointer.checkpoint({ onlyWhenIdle: true })).toMatchObject({
        truncated: false,
      });
      await sleep(1_600);
      expect(await checkpointer.checkpoint({ onlyWhenIdle: true })).toMatchObject({
        truncated: true,
      });
      expect(walBytes(file)).toBe(0);
      write(1);
      expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: 2 });
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it('cuts a WAL past the hard limit in a periodic round even while writers are at work', async () => {
    const file = join(dir, 'hard.db');
    const { db, write } = walDatabase(file);
    const checkpointer = new SqliteCheckpointer(file, {
      truncateAboveBytes: MIB,
      truncateUnderLoadAboveBytes: 4 * MIB,
      idleMs: 60_000,
    });
    try {
      await checkpointer.checkpoint({ onlyWhenIdle: true });
      write(2);
      expect(await checkpointer.checkpoint({ onlyWhenIdle: true })).toMatchObject({
        truncated: false,
      });
      // The log starts over once copied back: past the hard limit only if one write is.
      write(5);
      expect(walBytes(file)).toBeGreaterThan(4 * MIB);
      expect(await checkpointer.checkpoint({ onlyWhenIdle: true })).toMatchObject({
        truncated: true,
      });
      expect(walBytes(file)).toBe(0);
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it('refuses a checkpoint asked for after close', async () => {
    const file = join(dir, 'closed.db');
    const { db } = walDatabase(file);
    const checkpointer = new SqliteCheckpointer(file);
    await checkpointer.checkpoint();
    await checkpointer.close();
    await expect(checkpointer.checkpoint()).rejects.toThrow(/closed/);
    db.close();
  });

  it('empties the WAL soon after a large artifact upload commits', async () => {
    const t = await startTestApp('sqlite');
    try {
      const file = t.database.url.slice('sqlite:'.length);
      const submitter = await t.user(['submitter']);
      const bytes = randomBytes(WAL_TRUNCATE_ABOVE_BYTES + MIB);
      const uploaded = await t.call({
        method: 'POST',
        url: '/api/v1/artifacts?filename=big.msi&publisher=Acme',
        payload: bytes,
        headers: { 'content-type': 'application/octet-stream' },
        as: submitter,
      });
      expect(uploaded.statusCode).toBe(201);
      // No scheduler runs in the test app: only the upload's own request can empty it.
      await expect.poll(() => walBytes(file), { timeout: 60_000, interval: 100 }).toBe(0);
      const content = await t.call({
        method: 'GET',
        url: `/api/v1/artifacts/${uploaded.json().sha256}/content`,
        as: submitter,
      });
      expect(content.rawPayload.equals(bytes)).toBe(true);
    } finally {
      await t.close();
    }
  });
});
