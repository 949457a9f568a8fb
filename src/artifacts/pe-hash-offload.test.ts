import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeHasher } from './authenticode/index.js';
import { AuthenticodeTestKit, windowsBinary } from './authenticode/test-signing.js';
import { PeHashWorker } from './pe-hash-offload.js';
import { finishPeScan } from './pe-scan-data.js';

/** Feeds `bytes` in uneven chunks, as a socket delivers them. */
function feed(job: { update(chunk: Buffer): void }, bytes: Buffer): void {
  for (let at = 0, step = 1; at < bytes.length; at += step, step = (step * 7 + 13) % 300_000) {
    job.update(bytes.subarray(at, at + step));
  }
}

describe('PeHashWorker', () => {
  let kit: AuthenticodeTestKit;
  let signed: Buffer;
  beforeAll(() => {
    kit = new AuthenticodeTestKit();
    // Past a few batches, so buffers go to the worker and come back.
    signed = kit.sign(Buffer.concat([readFileSync(windowsBinary('x64')), randomBytes(5 << 20)]));
  });
  afterAll(() => kit.remove());

  it('finds on the worker what the inline hasher finds, for concurrent jobs', async () => {
    const inline = createPeHasher();
    inline.update(signed);
    const expected = await finishPeScan(inline, signed.length);
    const worker = new PeHashWorker();
    try {
      const first = worker.start();
      const second = worker.start();
      feed(first, signed);
      feed(second, randomBytes(3 << 20));
      const [a, b] = await Promise.all([first.finish(signed.length), second.finish(3 << 20)]);
      expect(a.kind).toBe('signed');
      expect(expected.kind).toBe('signed');
      if (a.kind !== 'signed' || expected.kind !== 'signed') return;
      expect(Buffer.from(a.sha256).equals(Buffer.from(expected.sha256))).toBe(true);
      expect(a.pkcs7.map((p) => Buffer.from(p).toString('hex'))).toEqual(
        expected.pkcs7.map((p) => Buffer.from(p).toString('hex')),
      );
      expect(a.layout).toEqual(expected.layout);
      expect(b).toEqual({ kind: 'not_pe' });
      // Reused after recycling: a second pass over the same file agrees.
      const again = worker.start();
      feed(again, signed);
      const c = await again.finish(signed.length);
      expect(c.kind === 'signed' && Buffer.from(c.sha256).equals(Buffer.from(a.sha256))).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it('refuses to finish a job once the worker has stopped', async () => {
    const worker = new PeHashWorker();
    const job = worker.start();
    job.update(signed.subarray(0, 4096));
    await worker.close();
    await expect(job.finish(4096)).rejects.toThrow(/worker stopped/);
  });
});
