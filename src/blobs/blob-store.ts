import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Executor } from '../platform/db/database.js';

/** 1 MiB chunks: big enough to keep row counts low, small enough to never buffer a file. */
export const CHUNK_BYTES = 1024 * 1024;

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
  sha256: string,
  size: number,
  chunkCount: number,
  at: string,
): Promise<void> {
  await db
    .insertInto('blobs')
    .values({ sha256, size_bytes: size, chunk_count: chunkCount, created_at: at })
    .execute();
}

/** Stores bytes already in memory under their digest; a blob that exists is left as it is. */
export async function putBlob(
  db: Executor,
  bytes: Uint8Array,
  at: string,
): Promise<{ sha256: string; size: number }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (await blobExists(db, sha256)) return { sha256, size: bytes.length };
  const chunkCount = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
  await insertBlobRow(db, sha256, bytes.length, chunkCount, at);
  for (let idx = 0; idx < chunkCount; idx++) {
    const data = bytes.subarray(idx * CHUNK_BYTES, (idx + 1) * CHUNK_BYTES);
    await db.insertInto('blob_chunks').values({ sha256, idx, data }).execute();
  }
  return { sha256, size: bytes.length };
}

/**
 * Stores a staged file under its (already computed) digest, reading it chunk by chunk.
 * Returns false when the blob was already there.
 */
export async function putBlobFromFile(
  db: Executor,
  file: { path: string; sha256: string; size: number },
  at: string,
): Promise<boolean> {
  if (await blobExists(db, file.sha256)) return false;
  const chunkCount = Math.max(1, Math.ceil(file.size / CHUNK_BYTES));
  await insertBlobRow(db, file.sha256, file.size, chunkCount, at);
  if (file.size === 0) {
    await db
      .insertInto('blob_chunks')
      .values({ sha256: file.sha256, idx: 0, data: new Uint8Array(0) })
      .execute();
    return true;
  }
  let idx = 0;
  for await (const chunk of createReadStream(file.path, { highWaterMark: CHUNK_BYTES })) {
    await db
      .insertInto('blob_chunks')
      .values({ sha256: file.sha256, idx, data: chunk as Buffer })
      .execute();
    idx += 1;
  }
  return true;
}

/** Yields a blob's bytes chunk by chunk, in order. */
export async function* readBlobChunks(db: Executor, sha256: string): AsyncGenerator<Buffer> {
  const head = await db
    .selectFrom('blobs')
    .select('chunk_count')
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  if (!head) return;
  for (let idx = 0; idx < head.chunk_count; idx++) {
    const row = await db
      .selectFrom('blob_chunks')
      .select('data')
      .where('sha256', '=', sha256)
      .where('idx', '=', idx)
      .executeTakeFirstOrThrow();
    yield Buffer.from(row.data);
  }
}

export async function readBlob(db: Executor, sha256: string): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of readBlobChunks(db, sha256)) chunks.push(chunk);
  return chunks.length === 0 ? null : Buffer.concat(chunks);
}
