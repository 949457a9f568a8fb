import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../platform/errors.js';
import { readToBuffer, stageToFile } from './upload-staging.js';

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

describe('stageToFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-staging-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const parts = [Buffer.from('staged '), Buffer.from('bytes')];
  const whole = Buffer.concat(parts);

  it('writes the decoded body to a file, hashing on the way; discard removes it', async () => {
    const staged = await stageToFile(source([gzipSync(whole)], undefined, 'gzip'), 100, dir);
    expect(staged.size).toBe(whole.length);
    expect(staged.sha256).toBe(createHash('sha256').update(whole).digest('hex'));
    expect(readFileSync(staged.path).equals(whole)).toBe(true);
    await staged.discard();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves no file when the body is over the limit', async () => {
    await expect(stageToFile(source(parts), 5, dir)).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(stageToFile(source(parts, 500), 100, dir)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
