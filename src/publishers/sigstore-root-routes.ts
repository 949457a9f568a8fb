import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { createOnce } from '../platform/http/idempotency.js';
import { commonErrors, idParams } from '../platform/http/schemas.js';
import {
  createSigstoreRootBody,
  includeRemovedQuery,
  sigstoreRootSchema,
} from './publisher-schemas.js';
import type { SigstoreRootService } from './sigstore-root-service.js';

/** Trust configuration like trust anchors: the same actions (admin writes, every role reads). */
export function registerSigstoreRootRoutes(
  app: FastifyInstance,
  deps: { database: Database; clock: Clock; sigstoreRoots: SigstoreRootService },
): void {
  const { database, sigstoreRoots } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/sigstore-roots',
    {
      config: { action: 'trust_anchors.manage' },
      schema: {
        tags: ['sigstore roots'],
        summary: 'Trust a Sigstore instance: its trusted_root.json (admin)',
        description:
          'Body: { "name", "trusted_root": <the trusted_root.json document> }. The document is ' +
          'checked with @sigstore/protobuf-specs and @sigstore/verify and stored in RFC 8785 form.',
        body: createSigstoreRootBody,
        response: { 201: sigstoreRootSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) =>
        sigstoreRoots.add(trx, request.ctx, request.body),
      ),
  );

  r.get(
    '/api/v1/sigstore-roots',
    {
      config: { action: 'trust_anchors.read' },
      schema: {
        tags: ['sigstore roots'],
        summary: 'Sigstore roots in force (and removed ones with include_removed=true)',
        querystring: includeRemovedQuery,
        response: {
          200: z.object({ sigstore_roots: z.array(sigstoreRootSchema) }),
          ...commonErrors,
        },
      },
    },
    async (request) => ({
      sigstore_roots: await sigstoreRoots.list(request.query.include_removed === 'true'),
    }),
  );

  r.get(
    '/api/v1/sigstore-roots/:id',
    {
      config: { action: 'trust_anchors.read' },
      schema: {
        tags: ['sigstore roots'],
        summary: 'One Sigstore root with its trusted_root.json document',
        params: idParams,
        response: {
          200: sigstoreRootSchema.extend({ trusted_root: z.record(z.string(), z.unknown()) }),
          ...commonErrors,
        },
      },
    },
    async (request) => sigstoreRoots.get(request.params.id),
  );

  r.delete(
    '/api/v1/sigstore-roots/:id',
    {
      config: { action: 'trust_anchors.manage' },
      schema: {
        tags: ['sigstore roots'],
        summary: 'Stop trusting a Sigstore root (admin); its record stays',
        params: idParams,
        response: { 200: sigstoreRootSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) => sigstoreRoots.remove(trx, request.ctx, request.params.id)),
  );
}
