/**
 * Worker thread of PeHashWorker: runs the Authenticode PE hasher over an upload's bytes on
 * the second core while the main thread stores them. Jobs are independent (one per upload);
 * their bytes arrive in slots of the memory both threads share.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPeHasher, type PeHasher } from './authenticode/index.js';
import { finishPeScan, type PeScanData } from './pe-scan-data.js';

/** What the worker starts with: the shared slots it reads. */
export interface PeHashData {
  shared: SharedArrayBuffer;
  slotBytes: number;
}

export type PeHashRequest =
  | { id: number; slot: number; length: number }
  | { id: number; finish: number }
  | { id: number; abort: true };

export type PeHashResponse =
  /** The slot is hashed: it may be filled again. */
  | { free: number }
  | { id: number; ok: true; scan: PeScanData }
  | { id: number; ok: false; message: string };

const { shared, slotBytes } = (workerData ?? {}) as PeHashData;
const jobs = new Map<number, PeHasher>();

async function finish(id: number, size: number): Promise<PeHashResponse> {
  const hasher = jobs.get(id) ?? createPeHasher();
  jobs.delete(id);
  return { id, ok: true, scan: await finishPeScan(hasher, size) };
}

parentPort?.on('message', (request: PeHashRequest) => {
  if ('slot' in request) {
    let hasher = jobs.get(request.id);
    if (!hasher) {
      hasher = createPeHasher();
      jobs.set(request.id, hasher);
    }
    try {
      // The hasher copies what it keeps: the slot is overwritten once it is handed back.
      hasher.update(new Uint8Array(shared, request.slot * slotBytes, request.length));
    } finally {
      parentPort?.postMessage({ free: request.slot } satisfies PeHashResponse);
    }
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
