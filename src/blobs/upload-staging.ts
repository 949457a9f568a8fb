import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isIdentityEncoded, limitError, type UploadSource, uploadBody } from './upload-body.js';

export type { UploadSource } from './upload-body.js';

export interface StagedFile {
  path: string;
  sha256: string;
  size: number;
  discard(): Promise<void>;
}

/**
 * Streams an upload to a temporary file in `dir`, hashing as it goes; the caller stores it
 * in the database afterwards, in a short transaction of its own.
 */
export async function stageToFile(
  source: UploadSource,
  limit: number,
  dir: string,
): Promise<StagedFile> {
  const body = uploadBody(source, limit);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `upload-${randomUUID()}`);
  const hash = createHash('sha256');
  let size = 0;
  const discard = () => rm(path, { force: true });
  try {
    await pipeline(async function* () {
      for await (const chunk of body) {
        size += chunk.length;
        hash.update(chunk);
        yield chunk;
      }
    }, createWriteStream(path));
  } catch (error) {
    await discard();
    throw limitError(error, limit);
  }
  return { path, sha256: hash.digest('hex'), size, discard };
}

/**
 * Reads a document upload into one buffer (documents are parsed whole), with the same
 * limits as stageToFile. A known length is allocated once instead of concatenating chunks.
 */
export async function readToBuffer(source: UploadSource, limit: number): Promise<Buffer> {
  const body = uploadBody(source, limit);
  // The declared length (already checked against the limit) is allocated once, shared so the
  // parse worker reads it without a copy; a body that runs longer falls back to chunks.
  let whole: Buffer | null =
    isIdentityEncoded(source) && source.contentLength !== undefined
      ? Buffer.from(new SharedArrayBuffer(source.contentLength))
      : null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (whole !== null && size + chunk.length <= whole.length) {
      chunk.copy(whole, size);
    } else {
      if (whole !== null) chunks.push(whole.subarray(0, size));
      whole = null;
      chunks.push(chunk);
    }
    size += chunk.length;
  }
  if (whole !== null) return size === whole.length ? whole : whole.subarray(0, size);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
