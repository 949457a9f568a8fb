import { randomUUID } from 'node:crypto';
import type { Db, Executor } from '../platform/db/database.js';

/** 1 MiB parts: big enough to keep row counts low, small enough to never buffer a file. */
export const PART_BYTES = 1024 * 1024;

export function newUploadId(): string {
  return randomUUID();
}

/** Marks an upload as in flight before its first part, so the sweep can tell its age. */
export async function beginUpload(db: Executor, uploadId: string, startedAt: string) {
  await db.insertInto('blob_uploads').values({ id: uploadId, started_at: startedAt }).execute();
}

export async function insertPart(
  db: Executor,
  uploadId: string,
  idx: number,
  data: Uint8Array,
): Promise<void> {
  await db.insertInto('blob_parts').values({ upload_id: uploadId, idx, data }).execute();
}

/**
 * The parts of an upload still arriving or just arrived, in order, one row at a time: a second
 * streamed pass over the bytes before they are a blob, never the whole in memory.
 */
export async function* readUploadParts(
  db: Executor,
  uploadId: string,
  partCount: number,
): AsyncGenerator<Buffer> {
  for (let idx = 0; idx < partCount; idx++) {
    const row = await db
      .selectFrom('blob_parts')
      .select('data')
      .where('upload_id', '=', uploadId)
      .where('idx', '=', idx)
      .executeTakeFirstOrThrow();
    yield Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
  }
}

/**
 * Ends an upload's in-flight state inside the transaction that records its blob. False when
 * the row is gone: the sweep took it for abandoned (and its parts with it). The row lock this
 * takes on PostgreSQL is what orders a concurrent sweep before or after the whole record.
 */
export async function claimUpload(trx: Executor, uploadId: string): Promise<boolean> {
  const result = await trx.deleteFrom('blob_uploads').where('id', '=', uploadId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** The database refuses this for parts a stored blob names (trigger), whoever asks. */
export async function deleteParts(db: Executor, uploadId: string): Promise<number> {
  const result = await db
    .deleteFrom('blob_parts')
    .where('upload_id', '=', uploadId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export type LeftoverReporter = (uploadId: string, error: unknown) => void;

/** The default reporter: a process warning, so the leftover shows in the server's output. */
export const warnLeftover: LeftoverReporter = (uploadId, error) => {
  const reason = error instanceof Error ? error.message : String(error);
  process.emitWarning(
    `upload ${uploadId}: its parts could not be removed (${reason}); the stale-upload sweep will remove them`,
    { code: 'CABINET_UPLOAD_LEFTOVER' },
  );
};

/**
 * Removes what a failed upload wrote, in two autocommit statements rather than a transaction:
 * the in-flight row first, so that if the second statement fails the parts are unreferenced
 * and unclaimable, which the sweep collects whatever their age. Never throws.
 */
export async function discardUpload(
  db: Db,
  uploadId: string,
  report: LeftoverReporter = warnLeftover,
): Promise<void> {
  try {
    await db.deleteFrom('blob_uploads').where('id', '=', uploadId).execute();
    await deleteParts(db, uploadId);
  } catch (error) {
    report(uploadId, error);
  }
}

export interface SweepResult {
  /** In-flight rows older than the cut-off, removed. */
  uploads: number;
  /** Parts no blob names and no upload in flight will claim, removed. */
  parts: number;
}

/**
 * Crash and abandonment leftovers: uploads started before `startedBefore` that never became a
 * blob, then every part that neither a blob nor an in-flight upload owns. Idempotent and safe
 * beside running uploads and other instances sweeping: an upload's row exists before its
 * first part and goes in the same commit that inserts its blob, so a part with neither can
 * never be claimed again; and the delete trigger protects stored parts regardless.
 */
export async function sweepStaleUploads(db: Db, startedBefore: string): Promise<SweepResult> {
  const stale = await db
    .deleteFrom('blob_uploads')
    .where('started_at', '<', startedBefore)
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom('blobs')
            .select('blobs.sha256')
            .whereRef('blobs.parts_upload_id', '=', 'blob_uploads.id'),
        ),
      ),
    )
    .executeTakeFirst();
  const orphans = await db
    .selectFrom('blob_parts as p')
    .select('p.upload_id')
    .distinct()
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(selectFrom('blob_uploads as u').select('u.id').whereRef('u.id', '=', 'p.upload_id')),
      ),
    )
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom('blobs as b')
            .select('b.sha256')
            .whereRef('b.parts_upload_id', '=', 'p.upload_id'),
        ),
      ),
    )
    // One order for every instance, so two sweeps never wait on each other crosswise.
    .orderBy('p.upload_id')
    .execute();
  let parts = 0;
  // One statement per upload: SQLite's write lock is never held for the whole sweep.
  for (const { upload_id } of orphans) parts += await deleteParts(db, upload_id);
  return { uploads: Number(stale.numDeletedRows), parts };
}
