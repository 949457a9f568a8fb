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
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 10000');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ ok: true, result: db.pragma('wal_checkpoint(PASSIVE)') });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error && error.message) });
  }
});
`;

export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export class SqliteCheckpointer {
  readonly #file: string;
  #worker: Worker | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
  }

  /** One PASSIVE checkpoint; calls queue, so two never overlap. */
  checkpoint(): Promise<CheckpointResult> {
    const run = this.#queue.then(() => this.#ask());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (!worker) return;
    await this.#queue;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // Unreferenced, the worker would let a process that awaits its exit end unsettled.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  #ask(): Promise<CheckpointResult> {
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
          const [row] = reply.result as { busy: number; log: number; checkpointed: number }[];
          resolve(row ?? { busy: 0, log: 0, checkpointed: 0 });
        } else {
          reject(new Error(`WAL checkpoint failed: ${reply.error}`));
        }
      });
      worker.postMessage('checkpoint');
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: this.#file, driver },
    });
    // An idle checkpointer must not keep the process alive.
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}
