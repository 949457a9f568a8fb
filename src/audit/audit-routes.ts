import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BadRequestError } from '../platform/errors.js';
import { commonErrors, isoDateTime, pageQuery } from '../platform/http/schemas.js';
import { type AuditLog, decodeCursor } from './audit-log.js';

const eventSchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    event_type: z.string(),
    correlation_id: z.string().nullable(),
    actor: z.string(),
    subject: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    created_at: isoDateTime,
    prev_hash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

const breakSchema = z.object({
  seq: z.number().int(),
  reason: z.enum([
    'edited',
    'deleted',
    'reordered',
    'truncated',
    'checkpoint_mismatch',
    'bad_checkpoint_signature',
  ]),
  message: z.string(),
});

export const verifyResultSchema = z
  .object({
    ok: z.boolean(),
    events_checked: z.number().int(),
    last_seq: z.number().int(),
    last_hash: z.string(),
    checkpoints_checked: z.number().int(),
    first_bad: breakSchema.nullable(),
  })
  .meta({ id: 'AuditVerifyResult' });

export function registerAuditRoutes(app: FastifyInstance, deps: { audit: AuditLog }): void {
  const { audit } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/audit/events',
    {
      config: { action: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit events, newest first (order=asc to replay), filtered, cursor-paginated',
        querystring: z.strictObject({
          ...pageQuery,
          type: z.string().max(200).optional(),
          actor: z.string().max(200).optional(),
          subject: z.string().max(500).optional(),
          correlation_id: z.string().max(200).optional(),
          from: isoDateTime.optional(),
          to: isoDateTime.optional(),
          order: z.enum(['asc', 'desc']).default('desc'),
        }),
        response: {
          200: z.object({ events: z.array(eventSchema), next_cursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const afterSeq = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (afterSeq === null) {
        throw new BadRequestError('The cursor is not one this server issued.', [
          { path: 'querystring:/cursor', message: 'unknown cursor' },
        ]);
      }
      return audit.list(
        {
          event_type: q.type,
          actor: q.actor,
          subject: q.subject,
          correlation_id: q.correlation_id,
          from: q.from === undefined ? undefined : new Date(q.from).toISOString(),
          to: q.to === undefined ? undefined : new Date(q.to).toISOString(),
          after_seq: afterSeq,
          order: q.order,
        },
        q.limit,
      );
    },
  );

  r.get(
    '/api/v1/audit/verify',
    {
      config: { action: 'audit.verify' },
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain and check the signed checkpoints',
        response: { 200: verifyResultSchema, ...commonErrors },
      },
    },
    async () => audit.verify(),
  );

  r.get(
    '/api/v1/audit/checkpoints',
    {
      config: { action: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: 'Signed checkpoints of the chain head',
        response: {
          200: z.object({
            checkpoints: z.array(
              z.object({
                seq: z.number().int(),
                hash: z.string(),
                key_id: z.string(),
                signature: z.string(),
                created_at: isoDateTime,
              }),
            ),
          }),
          ...commonErrors,
        },
      },
    },
    async () => ({ checkpoints: await audit.checkpoints() }),
  );
}
