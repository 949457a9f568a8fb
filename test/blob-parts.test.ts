import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginUpload, insertPart, PART_BYTES } from '../src/blobs/blob-parts.js';
import { scheduledJobs } from '../src/server.js';
import { dbKinds } from './databases.js';
import { addEvidence, createIntent } from './intake-fixtures.js';
import { rawUpload } from './raw-upload.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const LIMIT = 8 * PART_BYTES;
const HOUR = 3_600_000;

describe.each(dbKinds)('blob parts on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let address: string;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: { CABINET_MAX_UPLOAD_BYTES: String(LIMIT) } });
    submitter = await t.user(['submitter']);
    address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => t.close());

  const db = () => t.container.database.db;

  const upload = (body: Buffer, headers: Record<string, string> = {}, name = 'app.bin') =>
    t.call({
      method: 'POST',
      url: `/api/v1/artifacts?filename=${name}&publisher=Acme`,
      payload: body,
      headers: { 'content-type': 'application/octet-stream', ...headers },
      as: submitter,
    });

  /** Parts no blob names, and uploads in flight: what a finished request must never leave. */
  const leftovers = async () => {
    const parts = await db()
      .selectFrom('blob_parts')
      .leftJoin('blobs', 'blobs.parts_upload_id', 'blob_parts.upload_id')
      .select('blob_parts.upload_id')
      .where('blobs.sha256', 'is', null)
      .execute();
    const uploads = await db().selectFrom('blob_uploads').select('id').execute();
    return { parts: parts.length, uploads: uploads.length };
  };

  const partsOfBlob = async (digest: string) => {
    const rows = await db()
      .selectFrom('blob_parts')
      .innerJoin('blobs', 'blobs.parts_upload_id', 'blob_parts.upload_id')
      .select(['blob_parts.upload_id', 'blob_parts.idx'])
      .where('blobs.sha256', '=', digest)
      .orderBy('blob_parts.idx')
      .execute();
    return rows;
  };

  const content = async (digest: string) =>
    (await t.call({ method: 'GET', url: `/api/v1/artifacts/${digest}/content` })).rawPayload;

  it('streams an upload into parts that become its blob in the recording transaction', async () => {
    const bytes = randomBytes(2 * PART_BYTES + 77);
    const first = await upload(bytes);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().sha256).toBe(sha(bytes));
    const parts = await partsOfBlob(sha(bytes));
    expect(parts.map((p) => p.idx)).toEqual([0, 1, 2]);
    expect(new Set(parts.map((p) => p.upload_id)).size).toBe(1);
    expect(sha(await content(sha(bytes)))).toBe(sha(bytes));
    expect(await leftovers()).toEqual({ parts: 0, uploads: 0 });

    // The same bytes again: one blob, the second upload's parts are gone.
    const again = await upload(bytes, {}, 'other.bin');
    expect(again.statusCode).toBe(200);
    expect(await partsOfBlob(sha(bytes))).toEqual(parts);
    expect(await leftovers()).toEqual({ parts: 0, uploads: 0 });
  });

  it('answers concurrent identical uploads once with 201 and once with 200, keeping one blob', async () => {
    const bytes = randomBytes(PART_BYTES + 3);
    const answers = await Promise.all([upload(bytes), upload(bytes), upload(bytes)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 201]);
    expect((await partsOfBlob(sha(bytes))).map((p) => p.idx)).toEqual([0, 1]);
    expect(sha(await content(sha(bytes)))).toBe(sha(bytes));
    expect(await leftovers()).toEqual({ parts: 0, uploads: 0 });
  });

  it.runIf(kind === 'postgres')(
    'retries the recording transaction when a concurrent one takes the digest first',
    async () => {
      const bytes = randomBytes(1000);
      const digest = sha(bytes);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      // Another instance's upload of the same bytes, committed only once ours waits on it.
      const other = db()
        .transaction()
        .execute(async (trx) => {
          await insertPart(trx, 'other-upload', 0, bytes);
          await trx
            .insertInto('blobs')
            .values({
              sha256: digest,
              size_bytes: bytes.length,
              chunk_count: 1,
              created_at: t.clock.now().toISOString(),
              parts_upload_id: 'other-upload',
            })
            .execute();
          await gate;
        });
      const ours = upload(bytes);
      while (
        Number(
          (
            await sql<{ n: number }>`select count(*) as n from pg_stat_activity
              where wait_event_type = 'Lock' and datname = current_database()`.execute(db())
          ).rows[0]?.n,
        ) === 0
      ) {
        await sleep(10);
      }
      release();
      await other;
      const answer = await ours;
      expect(answer.statusCode, answer.body).toBe(201);
      expect((await partsOfBlob(digest)).map((p) => p.upload_id)).toEqual(['other-upload']);
      expect(sha(await content(digest))).toBe(digest);
      expect(await leftovers()).toEqual({ parts: 0, uploads: 0 });
    },
  );

  it('leaves no parts and no upload behind when the upload is refused', async () => {
    const declared = await rawUpload(address, submitter.token, {
      declaredLength: LIMIT + 1,
      send: 0,
    });
    expect(declared.status).toBe(413);
    const streamed = await rawUpload(address, submitter.token, { send: 2 * LIMIT });
    expect(streamed.status).toBe(413);
    const bomb = await upload(gzipSync(Buffer.alloc(LIMIT + 1)), { 'content-encoding': 'gzip' });
    expect(bomb.statusCode).toBe(413);
    const corrupt = await upload(
      Buffer.concat([gzipSync(randomBytes(PART_BYTES)).subarray(0, 100_000), randomBytes(50)]),
      { 'content-encoding': 'gzip' },
    );
    expect(corrupt.statusCode).toBe(400);

    const bytes = randomBytes(PART_BYTES + 1);
    const registered = await t.call({
      method: 'POST',
      url: '/api/v1/artifacts/register',
      payload: { sha256: sha(bytes), size_bytes: 5, publisher: 'Acme', filename: 'x.bin' },
      as: submitter,
    });
    expect(registered.statusCode).toBe(201);
    const mismatch = await upload(bytes);
    expect(mismatch.statusCode).toBe(409);
    expect(await partsOfBlob(sha(bytes))).toEqual([]);
    expect(await leftovers()).toEqual({ parts: 0, uploads: 0 });
  });

  it('removes what a client wrote before it went away mid-body', async () => {
    const request = http.request(
      new URL('/api/v1/artifacts?filename=cut.bin&publisher=Acme', address),
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${submitter.token}`,
          'content-type': 'application/octet-stream',
          'content-length': String(4 * PART_BYTES),
        },
      },
    );
    request.on('error', () => undefined);
    request.write(randomBytes(2 * PART_BYTES + 10));
    // Parts of the upload are in the database before the client goes.
    while ((await leftovers()).parts < 2) await sleep(10);
    request.destroy();
    for (;;) {
      const left = await leftovers();
      if (left.parts === 0 && left.uploads === 0) break;
      await sleep(10);
    }
  });

  it('makes the database itself refuse changing parts, and deleting stored ones', async () => {
    const bytes = randomBytes(100);
    expect((await upload(bytes)).statusCode).toBe(201);
    const [stored] = await partsOfBlob(sha(bytes));
    const storedId = stored!.upload_id;
    await expect(
      db().updateTable('blob_parts').set({ idx: 9 }).where('upload_id', '=', storedId).execute(),
    ).rejects.toThrow(/blob_parts are immutable: update refused/);
    await expect(
      db().deleteFrom('blob_parts').where('upload_id', '=', storedId).execute(),
    ).rejects.toThrow(/blob_parts of a stored blob: delete refused/);

    await insertPart(db(), 'loose', 0, Buffer.from('x'));
    await expect(
      db()
        .updateTable('blob_parts')
        .set({ data: Buffer.from('y') })
        .where('upload_id', '=', 'loose')
        .execute(),
    ).rejects.toThrow(/update refused/);
    await db().deleteFrom('blob_parts').where('upload_id', '=', 'loose').execute();
    if (kind === 'postgres') {
      await expect(sql`truncate blob_parts`.execute(db())).rejects.toThrow(/truncate refused/);
    }
    expect(sha(await content(sha(bytes)))).toBe(sha(bytes));
  });

  it('sweeps abandoned uploads by age, never young ones or stored parts', async () => {
    const job = scheduledJobs(t.container).find((j) => j.name === 'stale-upload-sweep')!;
    const now = t.clock.now().getTime();
    const stored = randomBytes(10);
    expect((await upload(stored)).statusCode).toBe(201);
    await beginUpload(db(), 'stale', new Date(now - 25 * HOUR).toISOString());
    await insertPart(db(), 'stale', 0, Buffer.from('old'));
    await insertPart(db(), 'stale', 1, Buffer.from('er'));
    await beginUpload(db(), 'young', new Date(now - HOUR).toISOString());
    await insertPart(db(), 'young', 0, Buffer.from('new'));
    // Parts whose upload row is gone (a discard cut short) and that no blob names.
    await insertPart(db(), 'cut-short', 0, Buffer.from('lost'));

    expect(await job.run()).toEqual({ uploads: 1, parts: 3 });
    expect(await job.run()).toEqual({ uploads: 0, parts: 0 });
    expect(await leftovers()).toEqual({ parts: 1, uploads: 1 });
    expect(sha(await content(sha(stored)))).toBe(sha(stored));

    t.clock.advance(24 * HOUR);
    expect(await job.run()).toEqual({ uploads: 1, parts: 1 });
    expect(await leftovers()).toEqual({ parts: 0, uploads: 0 });
    expect(sha(await content(sha(stored)))).toBe(sha(stored));
  });

  it('still serves content stored in blob_chunks before the parts table', async () => {
    const bytes = randomBytes(PART_BYTES + 9);
    const digest = sha(bytes);
    const at = t.clock.now().toISOString();
    await db()
      .insertInto('blobs')
      .values({ sha256: digest, size_bytes: bytes.length, chunk_count: 2, created_at: at })
      .execute();
    await db()
      .insertInto('blob_chunks')
      .values([
        { sha256: digest, idx: 0, data: bytes.subarray(0, PART_BYTES) },
        { sha256: digest, idx: 1, data: bytes.subarray(PART_BYTES) },
      ])
      .execute();
    await db()
      .insertInto('artifacts')
      .values({
        sha256: digest,
        size_bytes: bytes.length,
        publisher: 'Acme',
        filename: 'legacy.bin',
        build_time: null,
        content_stored: true,
        created_by: submitter.id,
        created_at: at,
      })
      .execute();
    expect((await content(digest)).equals(bytes)).toBe(true);
    // Uploading the same bytes now keeps the legacy blob and writes no parts for it.
    expect((await upload(bytes)).statusCode).toBe(200);
    expect(await partsOfBlob(digest)).toEqual([]);
    expect(await leftovers()).toEqual({ parts: 0, uploads: 0 });
  });

  it('stores evidence documents in parts too and serves them verbatim', async () => {
    const { intentId } = await createIntent(t, submitter);
    const document = JSON.stringify({ stage: 'lab', total: 3, passed: 3, failed: 0, skipped: 0 });
    const added = await addEvidence(t, submitter, intentId, 'kind=test_results', document);
    expect(added.statusCode, added.body).toBe(201);
    expect(await partsOfBlob(added.json().sha256)).toHaveLength(1);
    const raw = await t.call({ method: 'GET', url: `/api/v1/evidence/${added.json().id}/raw` });
    expect(raw.body).toBe(document);
  });
});
