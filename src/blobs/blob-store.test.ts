import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../platform/crypto/canonical-json.js';
import { createDatabase, type Database } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { CHUNK_BYTES, putBlob, putBlobFromFile, readBlob } from './blob-store.js';

describe('blob store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-blobs-'));
  let database: Database;
  beforeAll(async () => {
    database = createDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    await migrateToLatest(database);
  });
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores bytes in chunks under their digest, once, and reads them back', async () => {
    const bytes = randomBytes(CHUNK_BYTES * 2 + 5);
    const at = '2026-01-01T00:00:00.000Z';
    const stored = await putBlob(database.db, bytes, at);
    expect(stored).toEqual({ sha256: sha256Hex(bytes), size: bytes.length });
    expect(await putBlob(database.db, bytes, at)).toEqual(stored);
    const chunks = await database.db
      .selectFrom('blob_chunks')
      .select('idx')
      .where('sha256', '=', stored.sha256)
      .execute();
    expect(chunks).toHaveLength(3);
    expect((await readBlob(database.db, stored.sha256))?.equals(bytes)).toBe(true);
    expect(await readBlob(database.db, 'f'.repeat(64))).toBeNull();

    const empty = await putBlob(database.db, Buffer.alloc(0), at);
    expect((await readBlob(database.db, empty.sha256))?.length).toBe(0);
  });

  it('stores a staged file chunk by chunk and leaves an existing blob alone', async () => {
    const bytes = randomBytes(CHUNK_BYTES + 1);
    const path = join(dir, 'staged');
    writeFileSync(path, bytes);
    const file = { path, sha256: sha256Hex(bytes), size: bytes.length };
    expect(await putBlobFromFile(database.db, file, 'now')).toBe(true);
    expect(await putBlobFromFile(database.db, file, 'now')).toBe(false);
    expect((await readBlob(database.db, file.sha256))?.equals(bytes)).toBe(true);
  });
});
