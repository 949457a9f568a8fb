import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeHasher } from './authenticode/index.js';
import { AuthenticodeTestKit, windowsBinary } from './authenticode/test-signing.js';
import { PE_HASH_SHARED_BYTES, PeHashWorker } from './pe-hash-offload.js';
import { finishPeScan } from './pe-scan-data.js';

type Job = { update(chunk: Buffer): undefined | Promise<void> };

/** Feeds `bytes` in uneven chunks, as a socket delivers them, waiting when the job asks to. */
async function feed(job: Job, bytes: Buffer): Promise<void> {
  for (let at = 0, step = 1; at < bytes.length; at += step, step = (step * 7 + 13) % 300_000) {
    const pending = job.update(bytes.subarray(at, at + step));
    if (pending) await pending;
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
      // Together they need more slots than there are: each waits for the other's to free.
      const other = randomBytes(PE_HASH_SHARED_BYTES);
      await Promise.all([feed(first, signed), feed(second, other)]);
      const [a, b] = await Promise.all([first.finish(signed.length), second.finish(other.length)]);
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
      await feed(again, signed);
      const c = await again.finish(signed.length);
      expect(c.kind === 'signed' && Buffer.from(c.sha256).equals(Buffer.from(a.sha256))).toBe(true);
      // A caller that does not wait still gets its bytes hashed in the order it gave them.
      const hasty = worker.start();
      for (let at = 0; at < signed.length; at += 100_000) {
        void hasty.update(signed.subarray(at, at + 100_000));
      }
      const d = await hasty.finish(signed.length);
      expect(d.kind === 'signed' && Buffer.from(d.sha256).equals(Buffer.from(a.sha256))).toBe(true);
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

  it('drops what an aborted job still had waiting for a slot, and keeps serving others', async () => {
    const worker = new PeHashWorker();
    try {
      const dropped = worker.start();
      const waiting = dropped.update(Buffer.alloc(PE_HASH_SHARED_BYTES * 2));
      expect(waiting).toBeInstanceOf(Promise);
      dropped.abort();
      await waiting;
      const next = worker.start();
      await feed(next, signed);
      const scan = await next.finish(signed.length);
      expect(scan.kind).toBe('signed');
    } finally {
      await worker.close();
    }
  });

  it('fails a job that waits for a slot when the service closes, instead of hanging', async () => {
    const worker = new PeHashWorker();
    const job = worker.start();
    // More than every slot at once: the tail of it must wait for the worker.
    const pending = job.update(Buffer.alloc(PE_HASH_SHARED_BYTES + 1));
    expect(pending).toBeInstanceOf(Promise);
    const refused = expect(pending).rejects.toThrow(/closing/);
    await worker.close();
    await refused;
  });
});
