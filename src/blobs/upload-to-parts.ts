import { createHash } from 'node:crypto';
import type { Db } from '../platform/db/database.js';
import {
  beginUpload,
  discardUpload,
  insertPart,
  type LeftoverReporter,
  newUploadId,
  PART_BYTES,
  warnLeftover,
} from './blob-parts.js';
import { type UploadSource, uploadBody } from './upload-body.js';

/** An upload written to blob_parts, not yet a blob: recordUploadedBlob makes it one. */
export interface UploadedParts {
  uploadId: string;
  sha256: string;
  size: number;
  partCount: number;
}

/**
 * Streams an upload into the database as it arrives: hashed on the way, cut into 1 MiB parts,
 * each inserted by its own short statement as soon as it is full (no write lock held between
 * parts, none for the whole upload), and the next bytes read only once that insert is done,
 * so a slow database slows the client instead of filling memory. Nothing is visible as a blob
 * yet. On any failure (limit, corrupt gzip, client gone, database) what was written is
 * removed before the error is passed on.
 */
export async function uploadToParts(
  db: Db,
  source: UploadSource,
  limit: number,
  startedAt: string,
  report: LeftoverReporter = warnLeftover,
  /**
   * Sees every chunk in order, in the same pass as the hash (e.g. an Authenticode digest); a
   * promise it returns holds the next read back until it settles.
   */
  observe?: (chunk: Buffer) => undefined | Promise<void>,
): Promise<UploadedParts> {
  // Checks the declared length and the encoding first: a refusal writes nothing at all.
  const body = uploadBody(source, limit);
  const uploadId = newUploadId();
  await beginUpload(db, uploadId, startedAt);
  const hash = createHash('sha256');
  // One buffer, refilled: each insert has copied it (SQLite binds, pg serialises) by the
  // time it resolves.
  const part = Buffer.allocUnsafe(PART_BYTES);
  let filled = 0;
  let size = 0;
  let partCount = 0;
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      const observed = observe?.(chunk);
      if (observed) await observed;
      size += chunk.length;
      for (let offset = 0; offset < chunk.length; ) {
        const copied = chunk.copy(part, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === PART_BYTES) {
          await insertPart(db, uploadId, partCount, part);
          partCount += 1;
          filled = 0;
        }
      }
    }
    // The last, short part; an empty upload still gets one (empty) part, as blobs always had.
    if (filled > 0 || partCount === 0) {
      await insertPart(db, uploadId, partCount, part.subarray(0, filled));
      partCount += 1;
    }
  } catch (error) {
    await discardUpload(db, uploadId, report);
    throw error;
  }
  return { uploadId, sha256: hash.digest('hex'), size, partCount };
}
