import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BadRequestError, DomainError, PayloadTooLargeError } from '../platform/errors.js';

export interface UploadSource {
  stream: Readable;
  /** The Content-Length header, when the client sent one. */
  contentLength?: number | undefined;
  /** The Content-Encoding header: `gzip` bodies are inflated under the same limit. */
  contentEncoding?: string | undefined;
}

export interface StagedFile {
  path: string;
  sha256: string;
  size: number;
  discard(): Promise<void>;
}

/**
 * Refuses before reading a byte when the declared length is over the limit, and otherwise
 * counts as it reads: neither a lying Content-Length nor a gzip bomb gets past `limit`.
 */
function decodedStream(source: UploadSource, limit: number): Readable {
  if (source.contentLength !== undefined && source.contentLength > limit) {
    throw new PayloadTooLargeError(limit);
  }
  const encoding = (source.contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity') return source.stream;
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    const gunzip = createGunzip();
    source.stream.on('error', (error) => gunzip.destroy(error));
    return source.stream.pipe(gunzip);
  }
  throw new DomainError(
    'unsupported_media_type',
    `Content-Encoding ${encoding} is not supported; send identity or gzip.`,
  );
}

/**
 * The decoded bytes, chunk by chunk. Stopping early (a limit hit) must not destroy the
 * request: the socket is still needed to answer 413, and the error handler then discards
 * what is left of the body for a bounded time (see lingerOnUnreadBody).
 */
function chunksOf(input: Readable, source: UploadSource): AsyncIterable<Buffer> {
  const iterator = input.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Buffer>;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => iterator.next(),
      async return() {
        if (input !== source.stream) {
          source.stream.unpipe(input as unknown as NodeJS.WritableStream);
          input.destroy();
        }
        return iterator.return ? iterator.return() : { done: true, value: undefined };
      },
    }),
  };
}

function limitError(error: unknown, limit: number): unknown {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
    return new BadRequestError(`The gzip body is corrupt: ${(error as Error).message}`);
  }
  return error instanceof DomainError ? error : (error ?? new PayloadTooLargeError(limit));
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
  const input = decodedStream(source, limit);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `upload-${randomUUID()}`);
  const hash = createHash('sha256');
  let size = 0;
  const discard = () => rm(path, { force: true });
  try {
    await pipeline(async function* () {
      for await (const chunk of chunksOf(input, source)) {
        size += chunk.length;
        if (size > limit) throw new PayloadTooLargeError(limit);
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
  const input = decodedStream(source, limit);
  const identity = (source.contentEncoding ?? 'identity').trim().toLowerCase() === 'identity';
  // The declared length (already checked against the limit) is allocated once, shared so the
  // parse worker reads it without a copy; a body that runs longer falls back to chunks.
  let whole: Buffer | null =
    identity && source.contentLength !== undefined
      ? Buffer.from(new SharedArrayBuffer(source.contentLength))
      : null;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of chunksOf(input, source)) {
      if (size + chunk.length > limit) throw new PayloadTooLargeError(limit);
      if (whole !== null && size + chunk.length <= whole.length) {
        chunk.copy(whole, size);
      } else {
        if (whole !== null) chunks.push(whole.subarray(0, size));
        whole = null;
        chunks.push(chunk);
      }
      size += chunk.length;
    }
  } catch (error) {
    throw limitError(error, limit);
  }
  if (whole !== null) return size === whole.length ? whole : whole.subarray(0, size);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
