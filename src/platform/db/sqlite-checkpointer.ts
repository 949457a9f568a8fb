import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Folds the SQLite WAL back into the database file on a worker thread with a connection of
 * its own. better-sqlite3 is synchronous: a checkpoint on the serving connection stops the
 * event loop for as long as it copies (seconds after a burst of writes, measured in
 * `npm run bench -- cab`); from another connection a PASSIVE checkpoint runs beside the
 * writers instead of in front of them.
 */
const WORKER_SOURCE = `
const { statSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
const BUSY_MS = 10000;
db.pragma('busy_timeout = ' + BUSY_MS);
function walBytes() {
  try {
    return statSync(workerData.file + '-wal').size;
  } catch {
    return 0;
  }
}
// data_version moves whenever another connection commits: unchanged since the round that saw
// it move, the database has been idle at least since then.
let seenVersion = null;
let changedAt = 0;
function checkpoint(onlyWhenIdle) {
  const version = db.pragma('data_version', { simple: true });
  const now = Date.now();
  const changed = version !== seenVersion;
  if (changed) {
    seenVersion = version;
    changedAt = now;
  }
  const idle = !changed && now - changedAt >= workerData.idleMs;
  const none = { busy: 0, log: 0, checkpointed: 0 };
  const passive = db.pragma('wal_checkpoint(PASSIVE)')[0] || none;
  const result = { ...passive, truncated: false };
  // PASSIVE copies the frames back but leaves the file its size: a 400 MB upload would keep a
  // 400 MB WAL on disk for good. Once it has copied everything, TRUNCATE has next to nothing
  // left to copy and empties the file. It holds the writer lock while it waits for readers,
  // so it waits briefly and gives up (a later round retries) rather than stall the server.
  if (passive.busy !== 0 || passive.checkpointed !== passive.log) return result;
  const bytes = walBytes();
  if (bytes <= workerData.truncateAboveBytes) return result;
  // While writers are at work TRUNCATE would stop them (the serving thread sleeps in its busy
  // handler, and the whole server with it), and the next commits would pay to grow the file
  // again, where writing over a WAL of the size the load needs is cheaper. So under load only
  // a WAL past the hard limit is cut; an idle round empties it.
  if (onlyWhenIdle && !idle && bytes <= workerData.truncateUnderLoadAboveBytes) return result;
  db.pragma('busy_timeout = ' + workerData.truncateBusyMs);
  try {
    const truncate = db.pragma('wal_checkpoint(TRUNCATE)')[0] || none;
    return { ...truncate, truncated: truncate.busy === 0 };
  } finally {
    db.pragma('busy_timeout = ' + BUSY_MS);
  }
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ ok: true, result: checkpoint(message === 'checkpoint-when-idle') });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error && error.message) });
  }
});
`;

/**
 * A WAL larger than this is emptied (TRUNCATE) by a checkpoint, instead of only copied back:
 * by the one an upload at least this large asks for as soon as it commits, or by a periodic
 * round that finds the database idle.
 */
export const WAL_TRUNCATE_ABOVE_BYTES = 64 * 1024 * 1024;

/**
 * A periodic round cuts a WAL larger than this even while writers are at work: under a
 * steady load the checkpoint never catches up with the last frame, so the log never starts
 * over and would grow without bound.
 */
export const WAL_TRUNCATE_UNDER_LOAD_ABOVE_BYTES = 1024 * 1024 * 1024;

export interface CheckpointerOptions {
  /** WAL size above which a checkpoint also truncates the file (default 64 MiB). */
  truncateAboveBytes?: number;
  /** The same for a periodic round while writers are at work (default 1 GiB). */
  truncateUnderLoadAboveBytes?: number;
  /**
   * How long nothing must have been committed before a periodic round counts the database
   * idle (default 2 s): between bursts the WAL keeps its size, since growing the file back
   * costs the next burst's commits more than writing over it (0.56 against 1.06 ms a CAB
   * decision's COMMIT in `npm run bench -- cab`).
   */
  idleMs?: number;
  /** How long TRUNCATE may wait for readers while blocking writers (default 250 ms). */
  truncateBusyMs?: number;
}

export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
  /** The WAL was over the limit and is now empty on disk. */
  truncated: boolean;
}

export class SqliteCheckpointer {
  readonly #file: string;
  readonly #truncateAboveBytes: number;
  readonly #truncateUnderLoadAboveBytes: number;
  readonly #truncateBusyMs: number;
  readonly #idleMs: number;
  #worker: Worker | null = null;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string, options: CheckpointerOptions = {}) {
    this.#file = file;
    this.#truncateAboveBytes = options.truncateAboveBytes ?? WAL_TRUNCATE_ABOVE_BYTES;
    this.#truncateUnderLoadAboveBytes =
      options.truncateUnderLoadAboveBytes ?? WAL_TRUNCATE_UNDER_LOAD_ABOVE_BYTES;
    this.#truncateBusyMs = options.truncateBusyMs ?? 250;
    this.#idleMs = options.idleMs ?? 2_000;
  }

  /**
   * One PASSIVE checkpoint, then a TRUNCATE when it copied everything and the WAL is over
   * the limit — with `onlyWhenIdle` (the periodic round) only if nothing was committed for
   * `idleMs` either, or the WAL is past the hard limit. Calls queue, so two never overlap.
   */
  checkpoint(options: { onlyWhenIdle?: boolean } = {}): Promise<CheckpointResult> {
    const run = this.#queue.then(() => this.#ask(options.onlyWhenIdle === true));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    // A checkpoint asked for just before close (an upload's, see ArtifactService) must not
    // start a worker after it: that one would never be closed.
    this.#closed = true;
    await this.#queue;
    const worker = this.#worker;
    this.#worker = null;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // Unreferenced, the worker would let a process that awaits its exit end unsettled.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  #ask(onlyWhenIdle: boolean): Promise<CheckpointResult> {
    if (this.#closed) return Promise.reject(new Error('the checkpointer is closed'));
    const worker = this.#start();
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.#worker = null;
        reject(error);
      };
      worker.once('error', onError);
      worker.once('message', (reply: { ok: boolean; result?: unknown; error?: string }) => {
        worker.off('error', onError);
        if (reply.ok) {
          resolve(reply.result as CheckpointResult);
        } else {
          reject(new Error(`WAL checkpoint failed: ${reply.error}`));
        }
      });
      worker.postMessage(onlyWhenIdle ? 'checkpoint-when-idle' : 'checkpoint');
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: this.#file,
        driver,
        truncateAboveBytes: this.#truncateAboveBytes,
        truncateUnderLoadAboveBytes: this.#truncateUnderLoadAboveBytes,
        truncateBusyMs: this.#truncateBusyMs,
        idleMs: this.#idleMs,
      },
    });
    // An idle checkpointer must not keep the process alive.
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}
