import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../platform/worker-spawn.js';
import type { PeHashRecycle, PeHashRequest, PeHashResponse } from './pe-hash-worker.js';
import type { PeScanData } from './pe-scan-data.js';

/**
 * Bytes cross to the worker in batches this large, each a fresh buffer whose memory is
 * transferred, not copied: one memcpy on this thread per byte, one message per MiB.
 */
const BATCH_BYTES = 1024 * 1024;
/** Batches kept for reuse: enough for the worker to lag a few MiB behind the upload. */
const MAX_SPARES = 16;

/** One upload's bytes on their way to the worker. */
export interface PeHashJob {
  update(chunk: Buffer): void;
  finish(size: number): Promise<PeScanData>;
  /** The upload failed: the worker forgets the job. */
  abort(): void;
}

/**
 * The Authenticode digest of a large PE costs as much as the upload's own SHA-256 (both are
 * a hash of every byte); computed on the main thread it would add that much to the upload.
 * One worker, started on first use and reused, hashes beside the main thread instead.
 */
export class PeHashWorker {
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve(scan: PeScanData): void; reject(e: Error): void }
  >();
  /** Hashed batches handed back, at most MAX_SPARES kept. */
  readonly #spares: ArrayBuffer[] = [];

  start(): PeHashJob {
    const worker = this.#ensure();
    const id = this.#nextId++;
    let batch = this.#batch();
    let filled = 0;
    const flush = () => {
      if (filled === 0) return;
      const bytes = new Uint8Array(batch.buffer, batch.byteOffset, filled);
      worker.postMessage({ id, chunk: bytes } satisfies PeHashRequest, [
        batch.buffer as ArrayBuffer,
      ]);
      batch = this.#batch();
      filled = 0;
    };
    return {
      update(chunk) {
        for (let offset = 0; offset < chunk.length; ) {
          const copied = chunk.copy(batch, filled, offset);
          filled += copied;
          offset += copied;
          if (filled === BATCH_BYTES) flush();
        }
      },
      finish: (size) => {
        if (this.#worker !== worker) {
          return Promise.reject(new Error('Authenticode hashing failed: its worker stopped.'));
        }
        flush();
        return new Promise<PeScanData>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          worker.postMessage({ id, finish: size } satisfies PeHashRequest);
        });
      },
      abort: () => {
        worker.postMessage({ id, abort: true } satisfies PeHashRequest);
      },
    };
  }

  /**
   * A batch buffer: one the worker handed back when there is one. Fresh memory costs a page
   * fault per 4 KiB on first write, which measured here made the copy dearer than hashing.
   */
  #batch(): Buffer {
    const spare = this.#spares.pop();
    return spare ? Buffer.from(spare) : Buffer.allocUnsafeSlow(BATCH_BYTES);
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (!worker) return;
    await worker.terminate();
    // Nothing will answer what it held.
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new Error('Authenticode hashing stopped: the service is closing.'));
    }
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const worker = spawnModuleWorker(import.meta.url, 'pe-hash-worker');
    worker.unref();
    worker.on('message', (response: PeHashResponse | PeHashRecycle) => {
      if ('recycle' in response) {
        if (this.#spares.length < MAX_SPARES) this.#spares.push(response.recycle);
        return;
      }
      const pending = this.#pending.get(response.id);
      if (!pending) return;
      this.#pending.delete(response.id);
      if (response.ok) pending.resolve(response.scan);
      else pending.reject(new Error(`Authenticode hashing failed: ${response.message}`));
    });
    worker.on('error', (error) => {
      // Whatever it held fails; the next upload starts another.
      if (this.#worker === worker) this.#worker = null;
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        pending.reject(error);
      }
    });
    this.#worker = worker;
    return worker;
  }
}
