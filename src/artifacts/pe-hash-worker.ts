/**
 * Worker thread of PeHashWorker: runs the Authenticode PE hasher over an upload's bytes on
 * the second core while the main thread stores them. Jobs are independent (one per upload).
 */
import { parentPort } from 'node:worker_threads';
import { createPeHasher, type PeHasher } from './authenticode/index.js';
import { finishPeScan, type PeScanData } from './pe-scan-data.js';

export type PeHashRequest =
  | { id: number; chunk: Uint8Array }
  | { id: number; finish: number }
  | { id: number; abort: true };

/** A batch buffer handed back once hashed. */
export interface PeHashRecycle {
  recycle: ArrayBuffer;
}

export type PeHashResponse =
  | { id: number; ok: true; scan: PeScanData }
  | { id: number; ok: false; message: string };

const jobs = new Map<number, PeHasher>();

async function finish(id: number, size: number): Promise<PeHashResponse> {
  const hasher = jobs.get(id) ?? createPeHasher();
  jobs.delete(id);
  return { id, ok: true, scan: await finishPeScan(hasher, size) };
}

parentPort?.on('message', (request: PeHashRequest) => {
  if ('chunk' in request) {
    let hasher = jobs.get(request.id);
    if (!hasher) {
      hasher = createPeHasher();
      jobs.set(request.id, hasher);
    }
    hasher.update(request.chunk);
    // Hashed: the memory goes back to be filled again (fresh buffers cost page faults).
    const recycled: PeHashRecycle = { recycle: request.chunk.buffer as ArrayBuffer };
    parentPort?.postMessage(recycled, [recycled.recycle]);
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
