import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { createOnce } from '../platform/http/idempotency.js';
import { commonErrors, idParams, isoDateTime } from '../platform/http/schemas.js';
import type { TrustAnchorService } from './trust-anchor-service.js';

const anchorSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    subject: z.string(),
    fingerprint_sha256: z.string(),
    pem: z.string(),
    not_before: z.string(),
    not_after: z.string(),
    created_by: z.string(),
    created_at: isoDateTime,
    removed_at: isoDateTime.nullable(),
    removed_by: z.string().nullable(),
  })
  .meta({ id: 'TrustAnchor' });

export function registerTrustAnchorRoutes(
  app: FastifyInstance,
  deps: { database: Database; clock: Clock; trustAnchors: TrustAnchorService },
): void {
  const { database, trustAnchors } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/trust-anchors',
    {
      config: { action: 'trust_anchors.manage' },
      schema: {
        tags: ['trust anchors'],
        summary: 'Trust a CA certificate for code signing (admin)',
        body: z.strictObject({
          name: z.string().trim().min(1).max(200),
          pem: z.string().min(1).max(100_000),
        }),
        response: { 201: anchorSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) =>
        trustAnchors.add(trx, request.ctx, request.body),
      ),
  );

  r.get(
    '/api/v1/trust-anchors',
    {
      config: { action: 'trust_anchors.read' },
      schema: {
        tags: ['trust anchors'],
        summary: 'Trust anchors in force (and removed ones with include_removed=true)',
        querystring: z.strictObject({
          include_removed: z.enum(['true', 'false']).default('false'),
        }),
        response: { 200: z.object({ trust_anchors: z.array(anchorSchema) }), ...commonErrors },
      },
    },
    async (request) => ({
      trust_anchors: await trustAnchors.list(request.query.include_removed === 'true'),
    }),
  );

  r.delete(
    '/api/v1/trust-anchors/:id',
    {
      config: { action: 'trust_anchors.manage' },
      schema: {
        tags: ['trust anchors'],
        summary: 'Stop trusting an anchor (admin); its record stays',
        params: idParams,
        response: { 200: anchorSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) => trustAnchors.remove(trx, request.ctx, request.params.id)),
  );
}
