import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { commonErrors, pageOf, pageQuery } from '../platform/http/schemas.js';
import type { Outbox } from './outbox.js';
import { OUTBOX_STATUSES } from './outbox-store.js';

const messageSchema = z
  .object({
    id: z.string(),
    channel: z.enum(['email', 'webhook']),
    event_type: z.string(),
    plane: z.string().nullable(),
    recipients: z.array(z.object({ user_id: z.string(), email: z.string() })),
    subject_id: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    status: z.enum(OUTBOX_STATUSES),
    attempts: z.number().int(),
    next_attempt_at: z.string(),
    last_error: z.string().nullable(),
    correlation_id: z.string().nullable(),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .meta({ id: 'OutboxMessage' });

export function registerOutboxRoutes(app: FastifyInstance, deps: { outbox: Outbox }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/outbox',
    {
      config: { action: 'outbox.read' },
      schema: {
        tags: ['outbox'],
        summary: 'Messages waiting for delivery or delivered (admin, auditor), oldest first',
        querystring: z.strictObject({
          status: z.enum(OUTBOX_STATUSES).optional(),
          channel: z.enum(['email', 'webhook']).optional(),
          event_type: z.string().max(100).optional(),
          subject_id: z.string().max(100).optional(),
          ...pageQuery,
        }),
        response: {
          200: z.object({ messages: z.array(messageSchema), next_cursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filters } = request.query;
      const page = pageOf(
        await deps.outbox.list({ ...filters, afterId: cursor, limit: limit + 1 }),
        limit,
      );
      return { messages: page.items, next_cursor: page.next_cursor };
    },
  );
}
