import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database, Trx } from '../platform/db/database.js';
import { BadRequestError, UnprocessableError } from '../platform/errors.js';
import { createOnce } from '../platform/http/idempotency.js';
import { commonErrors, idParams, pageOf } from '../platform/http/schemas.js';
import {
  createIntentBody,
  intentSchema,
  listIntentsQuery,
  patchIntentBody,
  patchIntentHeaders,
} from './intent-schemas.js';
import type { Intent, IntentService } from './intent-service.js';

/** Whom an intent may be handed to: what identity tells of a user. */
interface PeopleGateway {
  getUser(
    id: string,
    db: Trx,
  ): Promise<{ id: string; roles: readonly string[]; disabled: boolean }>;
}

const IF_MATCH = /^\s*"?(\d{1,9})"?\s*$/;

/**
 * `If-Match: 3` or `If-Match: "3"` (the ETag we send) names the revision a change is based
 * on; `*` or no header means "whatever is current".
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = IF_MATCH.exec(header);
  if (!match) {
    throw new BadRequestError('If-Match must be the revision the change is based on, e.g. "3".', [
      { path: 'header:if-match', message: 'not a revision' },
    ]);
  }
  return Number(match[1]);
}

const etagOf = (intent: Intent) => `"${intent.revision}"`;

export function registerIntentRoutes(
  app: FastifyInstance,
  deps: { database: Database; clock: Clock; intents: IntentService; identity: PeopleGateway },
): void {
  const { database, intents, identity } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/intents',
    {
      config: { action: 'intents.create' },
      schema: {
        tags: ['intents'],
        summary: 'Declare a deployment intent (draft); its artifact must be known first',
        body: createIntentBody,
        response: { 201: intentSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) =>
        intents.create(trx, request.ctx, request.body),
      ),
  );

  r.get(
    '/api/v1/intents',
    {
      config: { action: 'intents.read' },
      schema: {
        tags: ['intents'],
        summary: 'List intents, filtered, cursor-paginated in creation order',
        querystring: listIntentsQuery,
        response: {
          200: z.object({ intents: z.array(intentSchema), next_cursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filters } = request.query;
      const page = pageOf(
        await intents.list({ ...filters, afterId: cursor, limit: limit + 1 }),
        limit,
      );
      return { intents: page.items, next_cursor: page.next_cursor };
    },
  );

  r.get(
    '/api/v1/intents/:id',
    {
      config: { action: 'intents.read' },
      schema: {
        tags: ['intents'],
        summary: 'One intent (ETag: its revision)',
        params: idParams,
        response: { 200: intentSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const intent = await intents.get(request.params.id);
      reply.header('etag', etagOf(intent));
      return intent;
    },
  );

  r.patch(
    '/api/v1/intents/:id',
    {
      config: { action: 'intents.update' },
      schema: {
        tags: ['intents'],
        summary:
          'Change a draft intent (its creator only); If-Match: <revision> guards lost updates',
        params: idParams,
        headers: patchIntentHeaders,
        body: patchIntentBody,
        response: { 200: intentSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const expected = parseIfMatch(request.headers['if-match']);
      const intent = await database.transaction((trx) =>
        intents.update(trx, request.ctx, request.params.id, request.body, expected),
      );
      reply.header('etag', etagOf(intent));
      return intent;
    },
  );

  r.post(
    '/api/v1/intents/:id/owner',
    {
      config: { action: 'intents.transfer' },
      schema: {
        tags: ['intents'],
        summary: 'Hand an intent to another submitter, who then owns it (admin)',
        params: idParams,
        body: z.strictObject({ user_id: z.string().min(1).max(100) }),
        response: { 200: intentSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const intent = await database.transaction(async (trx) => {
        const user = await identity.getUser(request.body.user_id, trx);
        // The new owner must be able to act on it: an enabled submitter.
        if (user.disabled || !user.roles.includes('submitter')) {
          throw new UnprocessableError(
            `User ${user.id} is ${user.disabled ? 'disabled' : 'not a submitter'} and cannot own an intent.`,
            [{ path: '/user_id', message: 'not an enabled submitter' }],
            'owner_not_submitter',
          );
        }
        return intents.transferOwner(trx, request.ctx, request.params.id, user.id);
      });
      reply.header('etag', etagOf(intent));
      return intent;
    },
  );
}
