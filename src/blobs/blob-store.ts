import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Executor } from '../platform/db/database.js';
import { ConflictError } from '../platform/errors.js';
import { claimUpload, insertPart, newUploadId, PART_BYTES, readUploadParts } from './blob-parts.js';
import type { UploadedParts } from './upload-to-parts.js';

/** The part size, under the name the first layout (blob_chunks) gave it. */
export const CHUNK_BYTES = PART_BYTES;

export async function blobExists(db: Executor, sha256: string): Promise<boolean> {
  const row = await db
    .selectFrom('blobs')
    .select('sha256')
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  return row !== undefined;
}

async function insertBlobRow(
  db: Executor,
  blob: { sha256: string; size: number; partCount: number; uploadId: string },
  at: string,
): Promise<void> {
  await db
    .insertInto('blobs')
    .values({
      sha256: blob.sha256,
      size_bytes: blob.size,
      chunk_count: blob.partCount,
      created_at: at,
      parts_upload_id: blob.uploadId,
    })
    .execute();
}

/**
 * Writes parts and blob row together in the caller's transaction: content already in hand
 * needs no in-flight state, since nothing else can see the parts before the blob.
 */
async function putParts(
  db: Executor,
  blob: { sha256: string; size: number },
  parts: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  at: string,
): Promise<void> {
  const uploadId = newUploadId();
  let partCount = 0;
  for await (const data of parts) {
    await insertPart(db, uploadId, partCount, data);
    partCount += 1;
  }
  // Every blob has at least one part, an empty one for empty content.
  if (partCount === 0) {
    await insertPart(db, uploadId, 0, new Uint8Array(0));
    partCount = 1;
  }
  await insertBlobRow(db, { ...blob, partCount, uploadId }, at);
}

function* partsOf(bytes: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += PART_BYTES) {
    yield bytes.subarray(offset, offset + PART_BYTES);
  }
}

/** Stores bytes already in memory under their digest; a blob that exists is left as it is. */
export async function putBlob(
  db: Executor,
  bytes: Uint8Array,
  at: string,
): Promise<{ sha256: string; size: number }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const blob = { sha256, size: bytes.length };
  if (!(await blobExists(db, sha256))) await putParts(db, blob, partsOf(bytes), at);
  return blob;
}

/**
 * Stores a staged file under its (already computed) digest, reading it part by part.
 * Returns false when the blob was already there.
 */
export async function putBlobFromFile(
  db: Executor,
  file: { path: string; sha256: string; size: number },
  at: string,
): Promise<boolean> {
  if (await blobExists(db, file.sha256)) return false;
  const parts = createReadStream(file.path, { highWaterMark: PART_BYTES });
  await putParts(db, file, parts as AsyncIterable<Buffer>, at);
  return true;
}

/**
 * Makes streamed parts a blob, inside the transaction that records what uses it, so the blob
 * and its record appear together. False when a blob with this digest exists already (stored
 * earlier, or by a concurrent identical upload that committed first): the caller then
 * deletes these parts once the transaction is over. A concurrent identical upload that has
 * not committed yet makes the blob insert fail on the key; run the transaction again.
 */
export async function recordUploadedBlob(
  trx: Executor,
  upload: UploadedParts,
  at: string,
): Promise<boolean> {
  if (!(await claimUpload(trx, upload.uploadId))) {
    throw new ConflictError(
      'The upload took so long that it was swept as abandoned; send it again.',
      'upload_expired',
    );
  }
  if (await blobExists(trx, upload.sha256)) return false;
  await insertBlobRow(trx, upload, at);
  return true;
}

/** Yields a blob's bytes chunk by chunk, in order, from whichever layout holds them. */
export async function* readBlobChunks(db: Executor, sha256: string): AsyncGenerator<Buffer> {
  const head = await db
    .selectFrom('blobs')
    .select(['chunk_count', 'parts_upload_id'])
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  if (!head) return;
  if (head.parts_upload_id !== null) {
    yield* readUploadParts(db, head.parts_upload_id, head.chunk_count);
    return;
  }
  for (let idx = 0; idx < head.chunk_count; idx++) {
    const row = await db
      .selectFrom('blob_chunks')
      .select('data')
      .where('sha256', '=', sha256)
      .where('idx', '=', idx)
      .executeTakeFirstOrThrow();
    yield Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
  }
}

export async function readBlob(db: Executor, sha256: string): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of readBlobChunks(db, sha256)) chunks.push(chunk);
  return chunks.length === 0 ? null : Buffer.concat(chunks);
}
