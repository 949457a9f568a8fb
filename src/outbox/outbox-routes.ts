import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../platform/db/database.js';
import { NotFoundError } from '../platform/errors.js';
import { commonErrors, idParams, pageOf, pageQuery } from '../platform/http/schemas.js';
import type { Outbox } from './outbox.js';
import { OUTBOX_CHANNELS, OUTBOX_STATUSES } from './outbox-store.js';

const messageSchema = z
  .object({
    id: z.string(),
    channel: z.enum(OUTBOX_CHANNELS),
    event_type: z.string(),
    plane: z.string().nullable(),
    endpoint_id: z.string().nullable(),
    recipients: z.array(z.object({ user_id: z.string(), email: z.string() })),
    subject_id: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    status: z.enum(OUTBOX_STATUSES),
    attempts: z.number().int(),
    next_attempt_at: z.string(),
    last_error: z.string().nullable(),
    correlation_id: z.string().nullable(),
    dedupe_key: z.string().nullable(),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .meta({ id: 'OutboxMessage' });

const attemptSchema = z
  .object({
    id: z.string(),
    attempt: z.number().int(),
    started_at: z.string(),
    finished_at: z.string(),
    outcome: z.enum(['delivered', 'failed', 'gone']),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    instance: z.string(),
  })
  .meta({ id: 'OutboxAttempt' });

const messageDetailSchema = messageSchema
  .extend({ attempt_log: z.array(attemptSchema) })
  .meta({ id: 'OutboxMessageDetail' });

export function registerOutboxRoutes(
  app: FastifyInstance,
  deps: { outbox: Outbox; database: Database },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const detail = async (id: string) => {
    const message = await deps.outbox.get(id);
    if (!message) throw new NotFoundError('Outbox message', id);
    const attempts = await deps.outbox.attempts(id);
    return {
      ...message,
      attempt_log: attempts.map(({ message_id: _m, ...attempt }) => attempt),
    };
  };

  r.get(
    '/api/v1/outbox',
    {
      config: { action: 'outbox.read' },
      schema: {
        tags: ['outbox'],
        summary:
          'Messages waiting for delivery, delivered or dead (admin, auditor), oldest first, with attempts and the last error',
        querystring: z.strictObject({
          status: z.enum(OUTBOX_STATUSES).optional(),
          channel: z.enum(OUTBOX_CHANNELS).optional(),
          event_type: z.string().max(100).optional(),
          subject_id: z.string().max(100).optional(),
          endpoint_id: z.string().max(100).optional(),
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

  r.get(
    '/api/v1/outbox/:id',
    {
      config: { action: 'outbox.read' },
      schema: {
        tags: ['outbox'],
        summary: 'One message with every delivery attempt (time, outcome, status code, error)',
        params: idParams,
        response: { 200: messageDetailSchema, ...commonErrors },
      },
    },
    async (request) => detail(request.params.id),
  );

  r.post(
    '/api/v1/outbox/:id/retry',
    {
      config: { action: 'outbox.retry' },
      schema: {
        tags: ['outbox'],
        summary: 'Queue a dead message again, due now (admin); its earlier attempts stay listed',
        params: idParams,
        response: { 200: messageDetailSchema, ...commonErrors },
      },
    },
    async (request) => {
      await deps.database.transaction((trx) =>
        deps.outbox.retry(trx, request.ctx, request.params.id),
      );
      return detail(request.params.id);
    },
  );
}
