import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BadRequestError, DomainError, PayloadTooLargeError } from '../platform/errors.js';
import { isIdentityEncoded, limitError, uploadBody } from './upload-body.js';

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('uploadBody', () => {
  const bytes = Buffer.from('hello cabinet, hello blobs');

  it('passes identity bodies through and inflates gzip ones', async () => {
    expect((await collect(uploadBody({ stream: Readable.from([bytes]) }, 100))).equals(bytes)).toBe(
      true,
    );
    const gzipped = { stream: Readable.from([gzipSync(bytes)]), contentEncoding: ' X-Gzip ' };
    expect((await collect(uploadBody(gzipped, 100))).equals(bytes)).toBe(true);
  });

  it('refuses a declared length over the limit and an unknown encoding before reading', () => {
    const stream = new PassThrough();
    expect(() => uploadBody({ stream, contentLength: 101 }, 100)).toThrow(PayloadTooLargeError);
    expect(() => uploadBody({ stream, contentEncoding: 'br' }, 100)).toThrow(
      expect.objectContaining({ kind: 'unsupported_media_type' }),
    );
    expect(stream.readableFlowing).toBeNull();
  });

  it('stops at the limit on the decoded size without destroying the request', async () => {
    const stream = Readable.from([bytes, bytes, bytes]);
    await expect(collect(uploadBody({ stream }, 40))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(stream.destroyed).toBe(false);

    // Still open, as a request whose client keeps sending is.
    const bomb = new PassThrough();
    bomb.write(gzipSync(Buffer.alloc(100_000)));
    await expect(
      collect(uploadBody({ stream: bomb, contentEncoding: 'gzip' }, 1000)),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(bomb.destroyed).toBe(false);
  });

  it('answers a corrupt gzip body as the client’s error', async () => {
    const corrupt = {
      stream: Readable.from([Buffer.from('not gzip at all')]),
      contentEncoding: 'gzip',
    };
    await expect(collect(uploadBody(corrupt, 100))).rejects.toBeInstanceOf(BadRequestError);
  });

  it('passes other read failures on as they are', async () => {
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const stream = new Readable({
      read() {
        this.destroy(aborted);
      },
    });
    await expect(collect(uploadBody({ stream }, 100))).rejects.toBe(aborted);
  });
});

describe('limitError', () => {
  it('maps zlib failures to 400, keeps domain errors, and names a missing error as the limit', () => {
    expect(limitError(Object.assign(new Error('x'), { code: 'Z_BUF_ERROR' }), 5)).toBeInstanceOf(
      BadRequestError,
    );
    const domain = new DomainError('conflict', 'no');
    expect(limitError(domain, 5)).toBe(domain);
    expect(limitError(undefined, 5)).toBeInstanceOf(PayloadTooLargeError);
  });
});

describe('isIdentityEncoded', () => {
  it('treats a missing or identity encoding alike', () => {
    expect(isIdentityEncoded({ stream: new PassThrough() })).toBe(true);
    expect(isIdentityEncoded({ stream: new PassThrough(), contentEncoding: 'Identity' })).toBe(
      true,
    );
    expect(isIdentityEncoded({ stream: new PassThrough(), contentEncoding: 'gzip' })).toBe(false);
  });
});
