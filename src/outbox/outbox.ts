import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Trx } from '../platform/db/database.js';
import { uuidv7 } from '../platform/ids.js';
import {
  insertMessages,
  listMessages,
  type OutboxFilters,
  type OutboxMessage,
} from './outbox-store.js';

export type { OutboxMessage } from './outbox-store.js';

export interface Recipient {
  user_id: string;
  email: string;
}

/** A message to deliver after commit: an email to named users, or a webhook for a plane. */
export type OutboxEntry =
  | {
      channel: 'email';
      event_type: string;
      recipients: Recipient[];
      subject_id?: string | null;
      payload: Record<string, unknown>;
    }
  | {
      channel: 'webhook';
      event_type: string;
      plane: string;
      subject_id?: string | null;
      payload: Record<string, unknown>;
    };

/**
 * The transactional outbox: `enqueue` writes the messages in the caller's transaction,
 * beside the change and its audit event, so a message exists exactly when its change
 * committed. Delivery happens after commit, elsewhere; nothing here talks to the network.
 */
export class Outbox {
  readonly #database: Database;
  readonly #clock: Clock;

  constructor(database: Database, clock: Clock) {
    this.#database = database;
    this.#clock = clock;
  }

  async enqueue(trx: Trx, ctx: Context, ...entries: OutboxEntry[]): Promise<void> {
    const now = this.#clock.now();
    const at = now.toISOString();
    // An email with nobody to send it to is not a message (no CAB member yet, say).
    const messages = entries
      .filter((entry) => entry.channel === 'webhook' || entry.recipients.length > 0)
      .map(
        (entry): OutboxMessage => ({
          id: uuidv7(now.getTime()),
          channel: entry.channel,
          event_type: entry.event_type,
          plane: entry.channel === 'webhook' ? entry.plane : null,
          recipients: entry.channel === 'email' ? entry.recipients : [],
          subject_id: entry.subject_id ?? null,
          payload: entry.payload,
          status: 'pending',
          attempts: 0,
          next_attempt_at: at,
          last_error: null,
          correlation_id: ctx.correlationId,
          created_at: at,
          delivered_at: null,
        }),
      );
    await insertMessages(trx, messages);
  }

  list(filters: OutboxFilters): Promise<OutboxMessage[]> {
    return listMessages(this.#database.db, filters);
  }
}
