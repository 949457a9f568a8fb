import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Plane } from '../intents/intent-rules.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import type {
  EndpointFilters,
  EndpointRecord,
  EndpointStatus,
  WebhookEvent,
} from './webhook-store.js';
import * as store from './webhook-store.js';
import { parseWebhookUrl, redactUrl } from './webhook-url.js';

/** An endpoint as every answer shows it: no secret, the URL without its credentials. */
export type WebhookEndpoint = Omit<EndpointRecord, 'secret' | 'revision'>;

/** The answer to creating one: the only time the secret is shown. */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  secret: string;
}

export interface CreateEndpointInput {
  plane: Plane;
  url: string;
  events: WebhookEvent[];
  description?: string | undefined;
}

/** What a 410 from a receiver records as the reason an endpoint stopped. */
export const GONE_REASON = 'the receiver answered 410 Gone';

export function viewOf(record: EndpointRecord): WebhookEndpoint {
  return {
    id: record.id,
    plane: record.plane,
    url: redactUrl(record.url),
    events: record.events,
    description: record.description,
    status: record.status,
    disabled_reason: record.disabled_reason,
    created_by: record.created_by,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

/** Standard Webhooks secret: `whsec_` + base64 of 32 random bytes (the HMAC key). */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Webhook endpoints per plane: registration, listing, deletion, disabling (by an admin or by
 * a receiver's 410) and the test ping. Delivery itself is the channel's (webhook-channel.ts),
 * run by the outbox dispatcher after commit. Audit events never carry the secret, and carry
 * the URL redacted.
 */
export class WebhookService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #outbox: Outbox;

  constructor(deps: { database: Database; clock: Clock; audit: AuditLog; outbox: Outbox }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#outbox = deps.outbox;
  }

  async create(
    trx: Trx,
    ctx: Context,
    input: CreateEndpointInput,
  ): Promise<CreatedWebhookEndpoint> {
    const url = parseWebhookUrl(input.url);
    const now = this.#clock.now();
    const record: EndpointRecord = {
      id: uuidv7(now.getTime()),
      plane: input.plane,
      url,
      // Listed once each, in the order given.
      events: [...new Set(input.events)],
      secret: newSecret(),
      description: input.description ?? null,
      status: 'active',
      disabled_reason: null,
      created_by: ctx.actorId,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      revision: 1,
    };
    await store.insertEndpoint(trx, record);
    const view = viewOf(record);
    this.#audit.appendAtCommit(trx, ctx, {
      type: 'webhook.endpoint.created',
      subject: record.id,
      data: {
        plane: view.plane,
        url: view.url,
        events: view.events,
        description: view.description,
      },
    });
    return { ...view, secret: record.secret };
  }

  async list(filters: EndpointFilters): Promise<WebhookEndpoint[]> {
    return (await store.listEndpoints(this.#database.db, filters)).map(viewOf);
  }

  async get(id: string): Promise<WebhookEndpoint> {
    const record = await store.findEndpoint(this.#database.db, id);
    if (!record) throw new NotFoundError('Webhook endpoint', id);
    return viewOf(record);
  }

  /** The endpoint with its URL and secret, for the channel that signs and sends. */
  async forDelivery(id: string, db: Executor = this.#database.db): Promise<EndpointRecord | null> {
    return store.findEndpoint(db, id);
  }

  /** Status `deleted`: nothing is sent to it again; its row and history stay. */
  async remove(trx: Trx, ctx: Context, id: string): Promise<void> {
    const before = await this.#live(trx, id);
    await this.#move(trx, ctx, before, 'deleted', null, 'webhook.endpoint.deleted');
  }

  async disable(trx: Trx, ctx: Context, id: string, reason: string): Promise<WebhookEndpoint> {
    const before = await this.#live(trx, id);
    if (before.status === 'disabled') {
      throw new ConflictError(`Webhook endpoint ${id} is already disabled.`, 'endpoint_disabled');
    }
    return this.#move(trx, ctx, before, 'disabled', reason, 'webhook.endpoint.disabled');
  }

  async enable(trx: Trx, ctx: Context, id: string): Promise<WebhookEndpoint> {
    const before = await this.#live(trx, id);
    if (before.status === 'active') {
      throw new ConflictError(`Webhook endpoint ${id} is already active.`, 'endpoint_active');
    }
    return this.#move(trx, ctx, before, 'active', null, 'webhook.endpoint.enabled');
  }

  /**
   * A receiver answered 410: it asked never to be called again. Runs after the attempt was
   * recorded, in a transaction of its own; an endpoint already disabled or deleted stays so.
   */
  async disableGone(
    ctx: Context,
    id: string,
    evidence: { message_id: string; status_code: number },
  ): Promise<boolean> {
    return this.#database.transaction(async (trx) => {
      const before = await store.findEndpointForUpdate(trx, this.#database.dialect, id);
      if (before?.status !== 'active') return false;
      await this.#move(
        trx,
        ctx,
        before,
        'disabled',
        GONE_REASON,
        'webhook.endpoint.disabled',
        evidence,
      );
      return true;
    });
  }

  /**
   * Enqueues a `ping` to this endpoint only and answers the message's id, for the caller to
   * deliver at once after commit. A disabled endpoint is refused: the ping could only fail.
   */
  async enqueuePing(trx: Trx, ctx: Context, id: string): Promise<string> {
    const endpoint = await this.#live(trx, id);
    if (endpoint.status === 'disabled') {
      throw new ConflictError(
        `Webhook endpoint ${id} is disabled (${endpoint.disabled_reason ?? 'no reason given'}); enable it before testing it.`,
        'endpoint_disabled',
      );
    }
    const [messageId] = await this.#outbox.enqueue(trx, ctx, {
      channel: 'webhook',
      event_type: store.PING_EVENT,
      plane: endpoint.plane,
      endpoint_id: endpoint.id,
      subject_id: endpoint.id,
      payload: { endpoint_id: endpoint.id, plane: endpoint.plane },
    });
    if (!messageId) throw new Error(`the ping of webhook endpoint ${id} was not enqueued`);
    this.#audit.appendAtCommit(trx, ctx, {
      type: 'webhook.endpoint.tested',
      subject: id,
      data: { message_id: messageId },
    });
    return messageId;
  }

  /** The endpoint, held until the transaction ends; a deleted one is not found. */
  async #live(trx: Trx, id: string): Promise<EndpointRecord> {
    const record = await store.findEndpointForUpdate(trx, this.#database.dialect, id);
    if (!record || record.status === 'deleted') throw new NotFoundError('Webhook endpoint', id);
    return record;
  }

  async #move(
    trx: Trx,
    ctx: Context,
    before: EndpointRecord,
    status: EndpointStatus,
    reason: string | null,
    eventType: string,
    extra: Record<string, unknown> = {},
  ): Promise<WebhookEndpoint> {
    const after: EndpointRecord = {
      ...before,
      status,
      disabled_reason: status === 'disabled' ? reason : null,
      updated_at: this.#clock.now().toISOString(),
      revision: before.revision + 1,
    };
    await store.updateEndpoint(trx, after, before.revision);
    this.#audit.appendAtCommit(trx, ctx, {
      type: eventType,
      subject: after.id,
      data: {
        from: before.status,
        to: after.status,
        plane: after.plane,
        url: redactUrl(after.url),
        ...(reason === null ? {} : { reason }),
        ...extra,
      },
    });
    return viewOf(after);
  }
}
