import { randomUUID } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { SigningKey } from '../platform/crypto/signing-key.js';
import { verifyEd25519 } from '../platform/crypto/signing-key.js';
import {
  beforeCommit,
  type Database,
  type Executor,
  LOCKS,
  lockForTransaction,
  type Trx,
  tryLockForTransaction,
} from '../platform/db/database.js';
import {
  type AuditFilters,
  countEvents,
  insertCheckpoint,
  insertEvents,
  latestCheckpoint,
  listCheckpoints,
  listEvents,
  readHead,
  scanEvents,
} from './audit-store.js';
import {
  ChainVerifier,
  type Checkpoint,
  canonicalData,
  checkpointMessage,
  GENESIS_HASH,
  hashEvent,
  type StoredAuditEvent,
  type VerifyResult,
} from './chain.js';

export interface AuditEntry {
  type: string;
  subject?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditEventView {
  seq: number;
  id: string;
  event_type: string;
  correlation_id: string | null;
  actor: string;
  subject: string | null;
  data: Record<string, unknown>;
  created_at: string;
  prev_hash: string;
  hash: string;
}

export interface VerifyProgress {
  checked: number;
  total: number;
}

/** The append-only, hash-chained audit log. */
export class AuditLog {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #key: SigningKey;
  #appended = 0;
  readonly #deferred = new WeakMap<Trx, { ctx: Context; entry: AuditEntry }[]>();

  constructor(database: Database, clock: Clock, key: SigningKey) {
    this.#database = database;
    this.#clock = clock;
    this.#key = key;
  }

  /** Events appended by this process since start (for /metrics). */
  get appendedCount(): number {
    return this.#appended;
  }

  /**
   * Appends one event inside the caller's transaction, so the event commits with the change
   * it records or not at all. The lock makes concurrent writers queue for the chain head:
   * no forks, no gaps.
   */
  async append(trx: Trx, ctx: Context, entry: AuditEntry): Promise<StoredAuditEvent> {
    const [event] = await this.#appendAll(trx, [{ ctx, entry }]);
    return event!;
  }

  /** Chains the entries after the head in call order: one head read, one INSERT. */
  async #appendAll(
    trx: Trx,
    items: readonly { ctx: Context; entry: AuditEntry }[],
  ): Promise<StoredAuditEvent[]> {
    await lockForTransaction(this.#database.dialect, trx, LOCKS.auditAppend);
    const head = await readHead(trx);
    let seq = head?.seq ?? 0;
    let prev = head?.hash ?? GENESIS_HASH;
    const createdAt = this.#clock.now().toISOString();
    const events = items.map(({ ctx, entry }): StoredAuditEvent => {
      const unhashed = {
        seq: ++seq,
        id: randomUUID(),
        event_type: entry.type,
        correlation_id: ctx.correlationId,
        actor: ctx.actorId,
        subject: entry.subject ?? null,
        data: canonicalData(entry.data ?? {}),
        created_at: createdAt,
        prev_hash: prev,
      };
      const event = { ...unhashed, hash: hashEvent(unhashed) };
      prev = event.hash;
      return event;
    });
    await insertEvents(trx, events);
    this.#appended += events.length;
    return events;
  }

  /**
   * Appends at the end of the caller's transaction, in call order, just before it commits:
   * the event still commits with its change or not at all, but the chain's lock is taken
   * only for the last statements instead of from the first event to COMMIT, so writers on
   * other connections wait less (measured in `npm run bench -- cab` on PostgreSQL).
   */
  appendAtCommit(trx: Trx, ctx: Context, entry: AuditEntry): void {
    let queue = this.#deferred.get(trx);
    if (!queue) {
      const entries: { ctx: Context; entry: AuditEntry }[] = [];
      queue = entries;
      this.#deferred.set(trx, entries);
      beforeCommit(trx, async () => {
        await this.#appendAll(trx, entries);
      });
    }
    queue.push({ ctx, entry });
  }

  /** Appends in a transaction of its own: for refusals, whose business transaction never ran. */
  async record(ctx: Context, entry: AuditEntry): Promise<StoredAuditEvent> {
    return this.#database.transaction((trx) => this.append(trx, ctx, entry));
  }

  async list(
    filters: AuditFilters,
    limit: number,
  ): Promise<{ events: AuditEventView[]; next_cursor: string | null }> {
    const rows = await listEvents(this.#database.db, filters, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map(toView),
      next_cursor: rows.length > limit && last ? encodeCursor(last.seq) : null,
    };
  }

  /**
   * Recomputes the whole chain in seq order, in pages, and checks it against the signed
   * checkpoints. Stops at the first break and names its seq.
   */
  async verify(onProgress?: (progress: VerifyProgress) => void): Promise<VerifyResult> {
    const db = this.#database.db;
    const [checkpoints, total] = await Promise.all([listCheckpoints(db), countEvents(db)]);
    const verifier = new ChainVerifier(checkpoints, (c) => this.verifyCheckpoint(c));
    let checked = 0;
    for await (const batch of scanEvents(db)) {
      let intact = true;
      for (const event of batch) {
        if (!verifier.push(event)) {
          intact = false;
          break;
        }
      }
      checked += batch.length;
      onProgress?.({ checked: Math.min(checked, total), total });
      if (!intact) break;
      // better-sqlite3 answers synchronously, so without a macrotask turn between pages the
      // whole verify would run in one turn of the event loop and the server answer nothing else.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return verifier.finish();
  }

  verifyCheckpoint(checkpoint: Checkpoint): boolean {
    return (
      checkpoint.key_id === this.#key.keyId &&
      verifyEd25519(this.#key.publicKeyPem, checkpointMessage(checkpoint), checkpoint.signature)
    );
  }

  /**
   * Signs the current head unless it is already checkpointed. Safe to run on every instance
   * at once: the first to take the lock writes it, the others find it done.
   */
  async checkpoint(): Promise<Checkpoint | null> {
    return this.#database.transaction(async (trx) => {
      if (!(await tryLockForTransaction(this.#database.dialect, trx, LOCKS.auditCheckpoint))) {
        return null;
      }
      const [head, latest] = await Promise.all([readHead(trx), latestCheckpoint(trx)]);
      if (!head || (latest && latest.seq >= head.seq)) {
        return null;
      }
      const unsigned = {
        seq: head.seq,
        hash: head.hash,
        key_id: this.#key.keyId,
        created_at: this.#clock.now().toISOString(),
      };
      const checkpoint = { ...unsigned, signature: this.#key.sign(checkpointMessage(unsigned)) };
      await insertCheckpoint(trx, checkpoint);
      return checkpoint;
    });
  }

  async checkpoints(db: Executor = this.#database.db): Promise<Checkpoint[]> {
    return listCheckpoints(db);
  }
}

export function toView(event: StoredAuditEvent): AuditEventView {
  return { ...event, data: JSON.parse(event.data) as Record<string, unknown> };
}

export function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString('base64url');
}

/** Returns the seq a cursor points after, or null when it is not one of ours. */
export function decodeCursor(cursor: string): number | null {
  const match = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}
