import type { OutboxMessage } from './outbox-store.js';

/**
 * What one delivery attempt came to. `failed` retries on the schedule (retry-schedule.ts)
 * unless `permanent`; `gone` is a receiver asking never to be called again (a webhook's
 * 410): the message is dead and the channel's `onGone` runs after the attempt is recorded.
 */
export type DeliveryResult =
  | { outcome: 'delivered'; statusCode?: number | null; note?: string | null }
  | {
      outcome: 'failed';
      error: string;
      statusCode?: number | null;
      /** The receiver's Retry-After, in ms from now, when it sent one. */
      retryAfterMs?: number | null;
      /** Retrying cannot help (the endpoint was deleted, say): dead at once. */
      permanent?: boolean;
    }
  | { outcome: 'gone'; error: string; statusCode: number };

/**
 * A way out of the outbox (email over SMTP, webhooks over HTTP). The dispatcher claims a
 * message, calls `deliver` outside any transaction, and records the result; a channel never
 * touches the outbox tables itself.
 */
export interface Channel {
  readonly name: OutboxMessage['channel'];
  /** False when not configured (no CABINET_SMTP_URL): its messages wait, never claimed. */
  readonly enabled: boolean;
  /** Must settle (resolve, never reject for a receiver's fault) within its own timeout. */
  deliver(message: OutboxMessage): Promise<DeliveryResult>;
  /** After a `gone` was recorded: e.g. disable the webhook endpoint. */
  onGone?(
    message: OutboxMessage,
    result: Extract<DeliveryResult, { outcome: 'gone' }>,
  ): Promise<void>;
  close?(): Promise<void>;
}
