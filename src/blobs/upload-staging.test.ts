import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../platform/errors.js';
import { readToBuffer } from './upload-staging.js';

const source = (chunks: Buffer[], contentLength?: number, contentEncoding?: string) => ({
  stream: Readable.from(chunks),
  contentLength,
  contentEncoding,
});

describe('readToBuffer', () => {
  const parts = [Buffer.from('hello '), Buffer.from('cabinet '), Buffer.from('world')];
  const whole = Buffer.concat(parts);

  it('fills one buffer of the declared length, shared for the parse worker', async () => {
    const read = await readToBuffer(source(parts, whole.length), 1000);
    expect(read.equals(whole)).toBe(true);
    expect(read.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('copes with a body shorter or longer than declared', async () => {
    expect((await readToBuffer(source(parts, whole.length + 10), 1000)).equals(whole)).toBe(true);
    expect((await readToBuffer(source(parts, 4), 1000)).equals(whole)).toBe(true);
    expect((await readToBuffer(source(parts), 1000)).equals(whole)).toBe(true);
    expect((await readToBuffer(source([whole]), 1000)).equals(whole)).toBe(true);
  });

  it('inflates gzip and enforces the limit on the decoded size', async () => {
    expect(
      (await readToBuffer(source([gzipSync(whole)], undefined, 'gzip'), 1000)).equals(whole),
    ).toBe(true);
    await expect(readToBuffer(source(parts, whole.length), 10)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    await expect(readToBuffer(source(parts), 10)).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(
      readToBuffer(source([gzipSync(Buffer.alloc(5000))], undefined, 'gzip'), 100),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
  });
});
