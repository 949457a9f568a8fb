import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../platform/crypto/canonical-json.js';
import { createDatabase, type Database } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { CHUNK_BYTES, putBlob, putBlobFromFile, readBlob, readBlobChunks } from './blob-store.js';

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

  const partsOf = async (sha256: string) => {
    const head = await database.db
      .selectFrom('blobs')
      .select(['parts_upload_id', 'chunk_count'])
      .where('sha256', '=', sha256)
      .executeTakeFirstOrThrow();
    const parts = await database.db
      .selectFrom('blob_parts')
      .select('idx')
      .where('upload_id', '=', head.parts_upload_id ?? '')
      .orderBy('idx')
      .execute();
    return { ...head, parts: parts.map((p) => p.idx) };
  };

  it('stores bytes in parts under their digest, once, and reads them back', async () => {
    const bytes = randomBytes(CHUNK_BYTES * 2 + 5);
    const at = '2026-01-01T00:00:00.000Z';
    const stored = await putBlob(database.db, bytes, at);
    expect(stored).toEqual({ sha256: sha256Hex(bytes), size: bytes.length });
    expect(await putBlob(database.db, bytes, at)).toEqual(stored);
    expect(await partsOf(stored.sha256)).toMatchObject({ chunk_count: 3, parts: [0, 1, 2] });
    expect((await readBlob(database.db, stored.sha256))?.equals(bytes)).toBe(true);
    expect(await readBlob(database.db, 'f'.repeat(64))).toBeNull();

    const empty = await putBlob(database.db, Buffer.alloc(0), at);
    expect(await partsOf(empty.sha256)).toMatchObject({ chunk_count: 1, parts: [0] });
    expect((await readBlob(database.db, empty.sha256))?.length).toBe(0);
  });

  it('stores a staged file part by part and leaves an existing blob alone', async () => {
    const bytes = randomBytes(CHUNK_BYTES + 1);
    const path = join(dir, 'staged');
    writeFileSync(path, bytes);
    const file = { path, sha256: sha256Hex(bytes), size: bytes.length };
    expect(await putBlobFromFile(database.db, file, 'now')).toBe(true);
    expect(await putBlobFromFile(database.db, file, 'now')).toBe(false);
    expect(await partsOf(file.sha256)).toMatchObject({ chunk_count: 2, parts: [0, 1] });
    expect((await readBlob(database.db, file.sha256))?.equals(bytes)).toBe(true);

    const emptyPath = join(dir, 'empty');
    writeFileSync(emptyPath, '');
    const empty = { path: emptyPath, sha256: sha256Hex(Buffer.alloc(0)), size: 0 };
    await database.transaction((trx) => putBlobFromFile(trx, empty, 'now'));
    expect((await readBlob(database.db, empty.sha256))?.length ?? -1).toBe(0);
  });

  it('still reads blobs stored in blob_chunks before the parts table existed', async () => {
    const bytes = randomBytes(CHUNK_BYTES + 10);
    const sha256 = sha256Hex(bytes);
    // As migration 0002's code wrote them: the row without parts_upload_id, chunks by digest.
    await database.db
      .insertInto('blobs')
      .values({ sha256, size_bytes: bytes.length, chunk_count: 2, created_at: 'then' })
      .execute();
    for (const [idx, data] of [
      bytes.subarray(0, CHUNK_BYTES),
      bytes.subarray(CHUNK_BYTES),
    ].entries()) {
      await database.db.insertInto('blob_chunks').values({ sha256, idx, data }).execute();
    }
    const chunks: Buffer[] = [];
    for await (const chunk of readBlobChunks(database.db, sha256)) chunks.push(chunk);
    expect(chunks.map((c) => c.length)).toEqual([CHUNK_BYTES, 10]);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // Same digest again: the legacy blob is kept, nothing is written to the parts table.
    expect(await putBlob(database.db, bytes, 'now')).toEqual({ sha256, size: bytes.length });
    expect(await partsOf(sha256)).toMatchObject({ parts_upload_id: null, parts: [] });
  });
});
