import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PLANES } from '../intents/intent-rules.js';
import type { OutboxAttempt } from '../outbox/outbox-store.js';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { createOnce } from '../platform/http/idempotency.js';
import {
  commonErrors,
  idParams,
  isoDateTime,
  pageOf,
  pageQuery,
} from '../platform/http/schemas.js';
import type { WebhookService } from './webhook-service.js';
import { ENDPOINT_STATUSES, WEBHOOK_EVENTS } from './webhook-store.js';
import { MAX_WEBHOOK_URL_LENGTH } from './webhook-url.js';

const endpointFields = {
  id: z.string(),
  plane: z.enum(PLANES),
  url: z.string().describe('Credentials in the URL (user:password@) are shown as ***@'),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  description: z.string().nullable(),
  status: z.enum(ENDPOINT_STATUSES),
  disabled_reason: z.string().nullable(),
  created_by: z.string(),
  created_at: isoDateTime,
  updated_at: isoDateTime,
};

const endpointSchema = z.object(endpointFields).meta({ id: 'WebhookEndpoint' });

const createdSchema = z
  .object({
    ...endpointFields,
    secret: z
      .string()
      .describe('whsec_ + base64 of the 32-byte HMAC key; shown in this answer only'),
  })
  .meta({ id: 'CreatedWebhookEndpoint' });

const pingSchema = z
  .object({
    message_id: z.string(),
    delivered: z.boolean(),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'WebhookPingResult' });

/** Delivers one outbox message now (the outbox dispatcher); null when another instance holds it. */
export interface ImmediateDelivery {
  deliverNow(messageId: string): Promise<OutboxAttempt | null>;
}

export function registerWebhookRoutes(
  app: FastifyInstance,
  deps: {
    database: Database;
    clock: Clock;
    webhooks: WebhookService;
    /** Absent in a process that runs no dispatcher: the ping then waits in the outbox. */
    dispatcher?: ImmediateDelivery | undefined;
  },
): void {
  const { database, webhooks } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/webhooks',
    {
      config: { action: 'webhooks.manage' },
      schema: {
        tags: ['webhooks'],
        summary:
          'Register a webhook endpoint for a plane (admin); the answer carries its signing secret, shown once',
        body: z.strictObject({
          plane: z.enum(PLANES),
          // The length is checked here too, but http/https, host and fragment are the
          // service's (422 naming /url), so its message can show the URL redacted.
          url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH),
          events: z
            .array(z.enum(WEBHOOK_EVENTS))
            .min(1)
            .max(WEBHOOK_EVENTS.length * 2),
          description: z.string().trim().max(500).optional(),
        }),
        response: { 201: createdSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) =>
        webhooks.create(trx, request.ctx, request.body),
      ),
  );

  r.get(
    '/api/v1/webhooks',
    {
      config: { action: 'webhooks.manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'Webhook endpoints (admin), oldest first; deleted ones only with status=deleted',
        querystring: z.strictObject({
          plane: z.enum(PLANES).optional(),
          status: z.enum(ENDPOINT_STATUSES).optional(),
          ...pageQuery,
        }),
        response: {
          200: z.object({ webhooks: z.array(endpointSchema), next_cursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filters } = request.query;
      const page = pageOf(
        await webhooks.list({ ...filters, afterId: cursor, limit: limit + 1 }),
        limit,
      );
      return { webhooks: page.items, next_cursor: page.next_cursor };
    },
  );

  r.get(
    '/api/v1/webhooks/:id',
    {
      config: { action: 'webhooks.manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'One webhook endpoint (admin), without its secret',
        params: idParams,
        response: { 200: endpointSchema, ...commonErrors },
      },
    },
    async (request) => webhooks.get(request.params.id),
  );

  r.delete(
    '/api/v1/webhooks/:id',
    {
      config: { action: 'webhooks.manage' },
      schema: {
        tags: ['webhooks'],
        summary:
          'Delete a webhook endpoint (admin): nothing more is sent to it, messages queued for it die',
        params: idParams,
        response: { 204: z.null().describe('Deleted'), ...commonErrors },
      },
    },
    async (request, reply) => {
      await database.transaction((trx) => webhooks.remove(trx, request.ctx, request.params.id));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/webhooks/:id/disable',
    {
      config: { action: 'webhooks.manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'Stop sending to an endpoint for now (admin); queued messages to it die',
        params: idParams,
        body: z.strictObject({ reason: z.string().trim().min(1).max(500) }),
        response: { 200: endpointSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) =>
        webhooks.disable(trx, request.ctx, request.params.id, request.body.reason),
      ),
  );

  r.post(
    '/api/v1/webhooks/:id/enable',
    {
      config: { action: 'webhooks.manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'Send to a disabled endpoint again (admin), e.g. after its receiver answered 410',
        params: idParams,
        response: { 200: endpointSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) => webhooks.enable(trx, request.ctx, request.params.id)),
  );

  r.post(
    '/api/v1/webhooks/:id/test',
    {
      config: { action: 'webhooks.manage' },
      schema: {
        tags: ['webhooks'],
        summary:
          'Send a ping to one endpoint now (admin) and say how it went; the message and its attempt stay in the outbox',
        params: idParams,
        response: { 200: pingSchema, ...commonErrors },
      },
    },
    async (request) => {
      const messageId = await database.transaction((trx) =>
        webhooks.enqueuePing(trx, request.ctx, request.params.id),
      );
      // After commit: the dispatcher claims the message, sends it and records the attempt.
      if (!deps.dispatcher) {
        return {
          message_id: messageId,
          delivered: false,
          status_code: null,
          error: 'no dispatcher runs in this process: the ping waits in the outbox',
        };
      }
      const attempt = await deps.dispatcher.deliverNow(messageId);
      if (!attempt) {
        return {
          message_id: messageId,
          delivered: false,
          status_code: null,
          error: 'another dispatcher holds the message: see GET /api/v1/outbox for its outcome',
        };
      }
      return {
        message_id: messageId,
        delivered: attempt.outcome === 'delivered',
        status_code: attempt.status_code,
        error: attempt.error,
      };
    },
  );
}
