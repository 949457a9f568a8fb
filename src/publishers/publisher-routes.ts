import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseIfMatch } from '../intents/intent-routes.js';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { onUniqueViolation } from '../platform/db/unique-retry.js';
import { createOnce } from '../platform/http/idempotency.js';
import { commonErrors, idParams } from '../platform/http/schemas.js';
import {
  createPublisherBody,
  ifMatchHeaders,
  includeRemovedQuery,
  patchPublisherBody,
  publisherSchema,
} from './publisher-schemas.js';
import { publisherNameTaken, type TrustedPublisherService } from './publisher-service.js';
import type { TrustedPublisher } from './publisher-store.js';

const etagOf = (p: TrustedPublisher) => `"${p.revision}"`;

/**
 * Publishers are trust configuration like trust anchors: the same actions guard them (admin
 * writes, every role reads), so whoever may see what is trusted sees all of it.
 */
export function registerPublisherRoutes(
  app: FastifyInstance,
  deps: { database: Database; clock: Clock; trustedPublishers: TrustedPublisherService },
): void {
  const { database, trustedPublishers } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Two admins naming a publisher at once: the second loses on the index, and hears why.
  const nameConflict = (name: string) => () => publisherNameTaken(name);

  r.post(
    '/api/v1/trusted-publishers',
    {
      config: { action: 'trust_anchors.manage' },
      schema: {
        tags: ['trusted publishers'],
        summary: 'Trust a publisher by X.509 subject and/or Sigstore keyless identity (admin)',
        description:
          'At least one of x509_subject and sigstore_identity. Once any publisher is in force, ' +
          'the artifact_signed rule needs the signer to match one.',
        body: createPublisherBody,
        response: { 201: publisherSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const created = await onUniqueViolation(
        () =>
          createOnce(deps, request, reply, 201, (trx) =>
            trustedPublishers.add(trx, request.ctx, request.body),
          ),
        nameConflict(request.body.name),
      );
      reply.header('etag', etagOf(created));
      return created;
    },
  );

  r.get(
    '/api/v1/trusted-publishers',
    {
      config: { action: 'trust_anchors.read' },
      schema: {
        tags: ['trusted publishers'],
        summary: 'Publishers in force (and removed ones with include_removed=true), oldest first',
        querystring: includeRemovedQuery,
        response: {
          200: z.object({ trusted_publishers: z.array(publisherSchema) }),
          ...commonErrors,
        },
      },
    },
    async (request) => ({
      trusted_publishers: await trustedPublishers.list(request.query.include_removed === 'true'),
    }),
  );

  r.get(
    '/api/v1/trusted-publishers/:id',
    {
      config: { action: 'trust_anchors.read' },
      schema: {
        tags: ['trusted publishers'],
        summary: 'One publisher, removed or not; the ETag is its revision',
        params: idParams,
        response: { 200: publisherSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const found = await trustedPublishers.get(request.params.id);
      reply.header('etag', etagOf(found));
      return found;
    },
  );

  r.patch(
    '/api/v1/trusted-publishers/:id',
    {
      config: { action: 'trust_anchors.manage' },
      schema: {
        tags: ['trusted publishers'],
        summary:
          'Change a publisher (admin): a new revision; null clears a field; If-Match: <revision> guards lost updates',
        params: idParams,
        headers: ifMatchHeaders,
        body: patchPublisherBody,
        response: { 200: publisherSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const expected = parseIfMatch(request.headers['if-match']);
      const name = request.body.name;
      const changed = await onUniqueViolation(
        () =>
          database.transaction((trx) =>
            trustedPublishers.update(trx, request.ctx, request.params.id, request.body, expected),
          ),
        nameConflict(name ?? ''),
      );
      reply.header('etag', etagOf(changed));
      return changed;
    },
  );

  r.delete(
    '/api/v1/trusted-publishers/:id',
    {
      config: { action: 'trust_anchors.manage' },
      schema: {
        tags: ['trusted publishers'],
        summary: 'Stop trusting a publisher (admin); its record stays, at a new revision',
        params: idParams,
        headers: ifMatchHeaders,
        response: { 200: publisherSchema, ...commonErrors },
      },
    },
    async (request) => {
      const expected = parseIfMatch(request.headers['if-match']);
      return database.transaction((trx) =>
        trustedPublishers.remove(trx, request.ctx, request.params.id, expected),
      );
    },
  );
}
