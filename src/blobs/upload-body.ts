import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BadRequestError, DomainError, PayloadTooLargeError } from '../platform/errors.js';

export interface UploadSource {
  stream: Readable;
  /** The Content-Length header, when the client sent one. */
  contentLength?: number | undefined;
  /** The Content-Encoding header: `gzip` bodies are inflated under the same limit. */
  contentEncoding?: string | undefined;
}

function encodingOf(source: UploadSource): string {
  return (source.contentEncoding ?? 'identity').trim().toLowerCase();
}

export function isIdentityEncoded(source: UploadSource): boolean {
  return encodingOf(source) === 'identity';
}

/**
 * Refuses before reading a byte when the declared length is over the limit, and otherwise
 * counts as it reads: neither a lying Content-Length nor a gzip bomb gets past `limit`.
 */
function decodedStream(source: UploadSource, limit: number): Readable {
  if (source.contentLength !== undefined && source.contentLength > limit) {
    throw new PayloadTooLargeError(limit);
  }
  const encoding = encodingOf(source);
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

/** Read failures as the client should see them: a corrupt gzip body is its fault (400). */
export function limitError(error: unknown, limit: number): unknown {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
    return new BadRequestError(`The gzip body is corrupt: ${(error as Error).message}`);
  }
  return error instanceof DomainError ? error : (error ?? new PayloadTooLargeError(limit));
}

async function* counted(
  chunks: AsyncIterable<Buffer>,
  limit: number,
): AsyncGenerator<Buffer, void, undefined> {
  let size = 0;
  try {
    for await (const chunk of chunks) {
      size += chunk.length;
      if (size > limit) throw new PayloadTooLargeError(limit);
      yield chunk;
    }
  } catch (error) {
    throw limitError(error, limit);
  }
}

/**
 * The one reading loop of every upload path (staging file, parts table, whole buffer): the
 * decoded body, chunk by chunk, never more than `limit` bytes of it. The declared length and
 * the encoding are checked here, at once, so a caller can refuse before any side effect;
 * read failures arrive already mapped by limitError. Leaving the loop early (break, throw)
 * leaves the request itself open, so the refusal can still be answered.
 */
export function uploadBody(source: UploadSource, limit: number): AsyncIterable<Buffer> {
  return counted(chunksOf(decodedStream(source, limit), source), limit);
}
