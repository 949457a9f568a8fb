import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../platform/crypto/canonical-json.js';
import { createDatabase, type Database } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrate.js';
import { BadRequestError, ConflictError, PayloadTooLargeError } from '../platform/errors.js';
import { discardUpload, PART_BYTES, sweepStaleUploads, warnLeftover } from './blob-parts.js';
import { readBlob, recordUploadedBlob } from './blob-store.js';
import { uploadToParts } from './upload-to-parts.js';

const AT = '2026-01-01T00:00:00.000Z';

/** The bytes in pieces of uneven sizes, as a socket delivers them. */
function pieces(bytes: Buffer, size = 70_001): Readable {
  const out: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    out.push(bytes.subarray(offset, offset + size));
  }
  return Readable.from(out);
}

describe('uploadToParts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-parts-'));
  let database: Database;
  beforeAll(async () => {
    database = createDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    await migrateToLatest(database);
  });
  afterAll(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = async () => ({
    uploads: (await database.db.selectFrom('blob_uploads').select('id').execute()).length,
    parts: (await database.db.selectFrom('blob_parts').select('idx').execute()).length,
  });

  it('writes 1 MiB parts as the bytes arrive; the blob appears only when recorded', async () => {
    const before = await rows();
    const bytes = randomBytes(2 * PART_BYTES + 12_345);
    const parts = await uploadToParts(database.db, { stream: pieces(bytes) }, 10 * PART_BYTES, AT);
    expect(parts).toMatchObject({ sha256: sha256Hex(bytes), size: bytes.length, partCount: 3 });
    const written = await database.db
      .selectFrom('blob_parts')
      .select(['idx', 'data'])
      .where('upload_id', '=', parts.uploadId)
      .orderBy('idx')
      .execute();
    expect(written.map((p) => p.data.length)).toEqual([PART_BYTES, PART_BYTES, 12_345]);
    expect(await rows()).toEqual({ uploads: before.uploads + 1, parts: before.parts + 3 });
    expect(await readBlob(database.db, parts.sha256)).toBeNull();

    expect(await database.transaction((trx) => recordUploadedBlob(trx, parts, AT))).toBe(true);
    expect((await readBlob(database.db, parts.sha256))?.equals(bytes)).toBe(true);
    expect(await rows()).toEqual({ uploads: before.uploads, parts: before.parts + 3 });
  });

  it('gives an empty upload one empty part, and a known digest is not recorded twice', async () => {
    const empty = await uploadToParts(database.db, { stream: Readable.from([]) }, 10, AT);
    expect(empty).toMatchObject({ size: 0, partCount: 1 });
    expect(await database.transaction((trx) => recordUploadedBlob(trx, empty, AT))).toBe(true);
    expect((await readBlob(database.db, empty.sha256))?.length).toBe(0);

    const again = await uploadToParts(database.db, { stream: Readable.from([]) }, 10, AT);
    expect(await database.transaction((trx) => recordUploadedBlob(trx, again, AT))).toBe(false);
  });

  it('refuses to record an upload the sweep has taken for abandoned', async () => {
    const parts = await uploadToParts(database.db, { stream: pieces(randomBytes(10)) }, 100, AT);
    await sweepStaleUploads(database.db, '2026-01-02T00:00:00.000Z');
    await expect(
      database.transaction((trx) => recordUploadedBlob(trx, parts, AT)),
    ).rejects.toMatchObject({ reason: 'upload_expired' });
    await expect(
      database.transaction((trx) => recordUploadedBlob(trx, parts, AT)),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await rows()).toMatchObject({ uploads: 0 });
  });

  it('leaves nothing behind when the body is refused or breaks off', async () => {
    const before = await rows();
    const big = randomBytes(3 * PART_BYTES);
    await expect(
      uploadToParts(database.db, { stream: pieces(big) }, 2 * PART_BYTES + 1, AT),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(
      uploadToParts(database.db, { stream: pieces(big), contentLength: big.length }, 10, AT),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(
      uploadToParts(
        database.db,
        { stream: Readable.from([Buffer.from('no gzip here')]), contentEncoding: 'gzip' },
        100,
        AT,
      ),
    ).rejects.toBeInstanceOf(BadRequestError);
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const breaksOff = Readable.from(
      (async function* () {
        yield big.subarray(0, PART_BYTES + 1);
        throw aborted;
      })(),
    );
    await expect(
      uploadToParts(database.db, { stream: breaksOff }, 10 * PART_BYTES, AT),
    ).rejects.toBe(aborted);
    expect(await rows()).toEqual(before);
  });

  it('reports, without hiding the first error, parts it could not remove', async () => {
    const doomed = createDatabase(`sqlite:${join(dir, 'doomed.sqlite')}`);
    await migrateToLatest(doomed);
    const reported: string[] = [];
    const failing = new Error('client gone');
    const stream = new PassThrough();
    const upload = uploadToParts(doomed.db, { stream }, 10 * PART_BYTES, AT, (id) =>
      reported.push(id),
    );
    const outcome = expect(upload).rejects.toBe(failing);
    stream.write(randomBytes(PART_BYTES));
    // The first part is in; then the database goes away and the client with it.
    while ((await doomed.db.selectFrom('blob_parts').select('idx').execute()).length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await doomed.close();
    stream.destroy(failing);
    await outcome;
    expect(reported).toHaveLength(1);
  });

  it('warns by default when a cleanup fails, naming the upload', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      // A database without the tables: every statement of the cleanup fails.
      const bare = createDatabase(`sqlite:${join(dir, 'unmigrated.sqlite')}`);
      await discardUpload(bare.db, 'gone-upload');
      await bare.close();
      warnLeftover('other-upload', 'not an Error');
      expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
        expect.stringMatching(/^upload gone-upload: .*no such table.*the stale-upload sweep/),
        expect.stringMatching(/^upload other-upload: .*\(not an Error\)/),
      ]);
    } finally {
      warn.mockRestore();
    }
  });
});
