import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import { afterCommit, type Database, type Executor, type Trx } from '../platform/db/database.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import {
  countByStatus,
  findMessage,
  insertMessages,
  listAttempts,
  listMessages,
  type OutboxAttempt,
  type OutboxFilters,
  type OutboxMessage,
  type OutboxStatus,
  requeueDead,
} from './outbox-store.js';

export type { OutboxAttempt, OutboxMessage } from './outbox-store.js';

export interface Recipient {
  user_id: string;
  email: string;
}

/**
 * A message to deliver after commit: an email to named users, or a webhook for a plane (one
 * message per endpoint subscribed to the plane and event, resolved now), or for one endpoint
 * (a ping). `dedupe_key` makes a scheduled message exist once however often it is enqueued.
 */
export type OutboxEntry =
  | {
      channel: 'email';
      event_type: string;
      recipients: Recipient[];
      subject_id?: string | null;
      payload: Record<string, unknown>;
      dedupe_key?: string | null;
    }
  | {
      channel: 'webhook';
      event_type: string;
      plane: string;
      /** One endpoint instead of every subscriber of the plane (the test ping). */
      endpoint_id?: string;
      subject_id?: string | null;
      payload: Record<string, unknown>;
    };

/** Which webhook endpoints receive an event of a plane (the webhooks domain answers). */
export interface WebhookTargets {
  subscribers(db: Executor, plane: string, eventType: string): Promise<{ id: string }[]>;
}

/**
 * The transactional outbox: `enqueue` writes the messages in the caller's transaction,
 * beside the change and its audit event, so a message exists exactly when its change
 * committed. Delivery happens after commit (dispatcher.ts); nothing here talks to the
 * network. Recipients and webhook endpoints are resolved at enqueue time: a message goes to
 * who was meant to receive it when the change happened.
 */
export class Outbox {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #targets: WebhookTargets;
  readonly #audit: AuditLog;
  readonly #listeners = new Set<(channels: ReadonlySet<OutboxMessage['channel']>) => void>();

  constructor(deps: {
    database: Database;
    clock: Clock;
    audit: AuditLog;
    targets: WebhookTargets;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#targets = deps.targets;
  }

  /** Writes the messages; answers the ids written (dedupe and empty lists skip some). */
  async enqueue(trx: Trx, ctx: Context, ...entries: OutboxEntry[]): Promise<string[]> {
    const now = this.#clock.now();
    const at = now.toISOString();
    const base = {
      status: 'pending' as const,
      attempts: 0,
      next_attempt_at: at,
      last_error: null,
      correlation_id: ctx.correlationId,
      created_at: at,
      delivered_at: null,
    };
    const messages: OutboxMessage[] = [];
    // Many entries for one plane and event in one call look the subscribers up once.
    const subscribers = new Map<string, { id: string }[]>();
    for (const entry of entries) {
      const common = {
        ...base,
        event_type: entry.event_type,
        subject_id: entry.subject_id ?? null,
        payload: entry.payload,
      };
      if (entry.channel === 'email') {
        // An email with nobody to send it to is not a message (no CAB member yet, say).
        if (entry.recipients.length === 0) continue;
        messages.push({
          ...common,
          id: uuidv7(now.getTime()),
          channel: 'email',
          plane: null,
          endpoint_id: null,
          recipients: entry.recipients,
          dedupe_key: entry.dedupe_key ?? null,
        });
        continue;
      }
      const key = `${entry.plane}\u0000${entry.event_type}`;
      let endpoints = entry.endpoint_id ? [{ id: entry.endpoint_id }] : subscribers.get(key);
      if (!endpoints) {
        endpoints = await this.#targets.subscribers(trx, entry.plane, entry.event_type);
        subscribers.set(key, endpoints);
      }
      for (const endpoint of endpoints) {
        messages.push({
          ...common,
          id: uuidv7(now.getTime()),
          channel: 'webhook',
          plane: entry.plane,
          endpoint_id: endpoint.id,
          recipients: [],
          dedupe_key: null,
        });
      }
    }
    const written = await insertMessages(trx, messages);
    if (written.length > 0) this.#tellAfterCommit(trx, new Set(messages.map((m) => m.channel)));
    return written;
  }

  /** Called after each commit that enqueued something, with its channels (the dispatcher wakes). */
  onEnqueued(listener: (channels: ReadonlySet<OutboxMessage['channel']>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #tellAfterCommit(trx: Trx, channels: ReadonlySet<OutboxMessage['channel']>): void {
    if (this.#listeners.size === 0) return;
    afterCommit(trx, () => {
      for (const listener of this.#listeners) listener(channels);
    });
  }

  list(filters: OutboxFilters): Promise<OutboxMessage[]> {
    return listMessages(this.#database.db, filters);
  }

  get(id: string): Promise<OutboxMessage | null> {
    return findMessage(this.#database.db, id);
  }

  attempts(id: string): Promise<OutboxAttempt[]> {
    return listAttempts(this.#database.db, id);
  }

  /** A dead message due again now (admin): its attempts so far stay on record. */
  async retry(trx: Trx, ctx: Context, id: string): Promise<void> {
    const message = await findMessage(trx, id);
    if (!message) throw new NotFoundError('Outbox message', id);
    if (!(await requeueDead(trx, id, this.#clock.now().toISOString()))) {
      throw new ConflictError(
        `Outbox message ${id} is ${message.status}: only a dead message is retried.`,
        'not_dead',
      );
    }
    await this.#audit.append(trx, ctx, {
      type: 'outbox.message.retried',
      subject: id,
      data: {
        channel: message.channel,
        event_type: message.event_type,
        attempts: message.attempts,
        last_error: message.last_error,
      },
    });
    this.#tellAfterCommit(trx, new Set([message.channel]));
  }

  counts(): Promise<Record<OutboxStatus, number>> {
    return countByStatus(this.#database.db);
  }
}
