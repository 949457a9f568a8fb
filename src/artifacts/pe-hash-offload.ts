import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../platform/worker-spawn.js';
import type { PeHashData, PeHashRequest, PeHashResponse } from './pe-hash-worker.js';
import type { PeScanData } from './pe-scan-data.js';

/**
 * Bytes cross to the worker through memory both threads share: slots this large, filled here
 * and hashed there, then handed back. A transferred buffer would do the same work, but every
 * one arrives as new external memory on the other thread, and that churn (256 of them per
 * 256 MB, each way) kept V8's collector marking the heap on every core while the upload ran.
 */
const SLOT_BYTES = 1024 * 1024;
/** Enough for the worker to lag a few MiB behind the upload; then the upload waits for it. */
const SLOTS = 16;
/** The memory the slots share: an upload feeding more than this at once waits for the worker. */
export const PE_HASH_SHARED_BYTES = SLOT_BYTES * SLOTS;

/** One upload's bytes on their way to the worker. */
export interface PeHashJob {
  /** Resolves once the chunk is handed over when every slot was in use; else returns at once. */
  update(chunk: Buffer): undefined | Promise<void>;
  finish(size: number): Promise<PeScanData>;
  /** The upload failed: the worker forgets the job. */
  abort(): void;
}

/** The slots of one worker's shared memory: which are free, and who waits for one. */
class SlotRing {
  readonly shared = new SharedArrayBuffer(PE_HASH_SHARED_BYTES);
  readonly views = Array.from({ length: SLOTS }, (_, slot) =>
    Buffer.from(this.shared, slot * SLOT_BYTES, SLOT_BYTES),
  );
  readonly #free = Array.from({ length: SLOTS }, (_, slot) => slot);
  readonly #waiting: Array<{ resolve(): void; reject(error: Error): void }> = [];
  #failure: Error | null = null;

  take(): number | undefined {
    return this.#failure ? undefined : this.#free.pop();
  }

  give(slot: number): void {
    this.#free.push(slot);
    this.#waiting.shift()?.resolve();
  }

  /** Settles when a slot may be free (take again: another job can be first). */
  freed(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** The worker is gone with the slots it held: nobody waits for them any more. */
  fail(error: Error): void {
    this.#failure = error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
  }
}

/**
 * The Authenticode digest of a large PE costs as much as the upload's own SHA-256 (both are
 * a hash of every byte); computed on the main thread it would add that much to the upload.
 * One worker, started on first use and reused, hashes beside the main thread instead.
 */
export class PeHashWorker {
  #worker: { thread: Worker; ring: SlotRing } | null = null;
  #nextId = 1;
  readonly #pending = new Map<
    number,
    { resolve(scan: PeScanData): void; reject(e: Error): void }
  >();

  start(): PeHashJob {
    const current = this.#ensure();
    const { thread, ring } = current;
    const id = this.#nextId++;
    let slot: number | undefined;
    let filled = 0;
    let aborted = false;
    const post = () => {
      if (slot === undefined) return;
      thread.postMessage({ id, slot, length: filled } satisfies PeHashRequest);
      slot = undefined;
      filled = 0;
    };
    const copyIn = (chunk: Buffer): undefined | Promise<void> => {
      // A chunk that waited for a slot past abort: the worker has forgotten the job.
      if (aborted) return undefined;
      for (let offset = 0; offset < chunk.length; ) {
        slot ??= ring.take();
        if (slot === undefined) {
          const rest = chunk.subarray(offset);
          return ring.freed().then(() => copyIn(rest));
        }
        const copied = chunk.copy(ring.views[slot]!, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === SLOT_BYTES) post();
      }
      return undefined;
    };
    /** Set while a chunk waits for a slot: what comes after it waits behind it, in order. */
    let waiting: Promise<void> | undefined;
    const queued = (pending: Promise<void>): Promise<void> => {
      const settled: Promise<void> = pending.finally(() => {
        if (waiting === settled) waiting = undefined;
      });
      waiting = settled;
      return settled;
    };
    return {
      update: (chunk) => {
        if (waiting) return queued(waiting.then(() => copyIn(chunk)));
        const pending = copyIn(chunk);
        return pending && queued(pending);
      },
      finish: async (size) => {
        await waiting;
        if (this.#worker !== current) {
          throw new Error('Authenticode hashing failed: its worker stopped.');
        }
        post();
        return new Promise<PeScanData>((resolve, reject) => {
          this.#pending.set(id, { resolve, reject });
          thread.postMessage({ id, finish: size } satisfies PeHashRequest);
        });
      },
      abort: () => {
        aborted = true;
        if (slot !== undefined) ring.give(slot);
        slot = undefined;
        thread.postMessage({ id, abort: true } satisfies PeHashRequest);
      },
    };
  }

  async close(): Promise<void> {
    const current = this.#worker;
    this.#worker = null;
    if (!current) return;
    const stopped = new Error('Authenticode hashing stopped: the service is closing.');
    // Before the worker goes: a slot it hands back now must not wake an upload to go on.
    current.ring.fail(stopped);
    await current.thread.terminate();
    // Nothing will answer what it held.
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(stopped);
    }
  }

  #ensure(): { thread: Worker; ring: SlotRing } {
    if (this.#worker) return this.#worker;
    const ring = new SlotRing();
    const thread = spawnModuleWorker(import.meta.url, 'pe-hash-worker', {
      workerData: { shared: ring.shared, slotBytes: SLOT_BYTES } satisfies PeHashData,
    });
    thread.unref();
    const current = { thread, ring };
    thread.on('message', (response: PeHashResponse) => {
      if ('free' in response) {
        ring.give(response.free);
        return;
      }
      const pending = this.#pending.get(response.id);
      if (!pending) return;
      this.#pending.delete(response.id);
      if (response.ok) pending.resolve(response.scan);
      else pending.reject(new Error(`Authenticode hashing failed: ${response.message}`));
    });
    thread.on('error', (error) => {
      // Whatever it held fails; the next upload starts another.
      if (this.#worker === current) this.#worker = null;
      ring.fail(error);
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        pending.reject(error);
      }
    });
    this.#worker = current;
    return current;
  }
}
