/**
 * Worker thread of PeHashWorker: runs the Authenticode PE hasher over an upload's bytes on
 * the second core while the main thread stores them. Jobs are independent (one per upload).
 */
import { parentPort } from 'node:worker_threads';
import { createPeHasher, type PeHasher } from './authenticode/index.js';
import type { PeLayout } from './authenticode/pe-layout.js';

export type PeHashRequest =
  | { id: number; chunk: Uint8Array }
  | { id: number; finish: number }
  | { id: number; abort: true };

/** The PE scan as it crosses back: plain data (the digest and PKCS#7 blobs as bytes). */
export type PeScanData =
  | { kind: 'not_pe' }
  | { kind: 'unsigned' }
  | { kind: 'invalid'; reason: 'malformed_pe' | 'certificate_table_invalid'; message: string }
  | { kind: 'signed'; layout: PeLayout; pkcs7: Uint8Array[]; sha256: Uint8Array };

export type PeHashResponse =
  | { id: number; ok: true; scan: PeScanData }
  | { id: number; ok: false; message: string };

const jobs = new Map<number, PeHasher>();

async function finish(id: number, size: number): Promise<PeHashResponse> {
  const hasher = jobs.get(id) ?? createPeHasher();
  jobs.delete(id);
  const scan = hasher.finish(size);
  if (scan.kind !== 'signed') {
    return { id, ok: true, scan: scan.kind === 'not_pe' ? { kind: 'not_pe' } : scan };
  }
  const image = scan.image();
  const sha256 = await image.digest('sha256');
  return {
    id,
    ok: true,
    scan: { kind: 'signed', layout: scan.layout, pkcs7: image.pkcs7, sha256 },
  };
}

parentPort?.on('message', (request: PeHashRequest) => {
  if ('chunk' in request) {
    let hasher = jobs.get(request.id);
    if (!hasher) {
      hasher = createPeHasher();
      jobs.set(request.id, hasher);
    }
    hasher.update(request.chunk);
    return;
  }
  if ('abort' in request) {
    jobs.delete(request.id);
    return;
  }
  finish(request.id, request.finish).then(
    (response) => parentPort?.postMessage(response),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies PeHashResponse),
  );
});
