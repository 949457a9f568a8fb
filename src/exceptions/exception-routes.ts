import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { createOnce } from '../platform/http/idempotency.js';
import { commonErrors, idParams, pageOf } from '../platform/http/schemas.js';
import {
  approveExceptionBody,
  exceptionSchema,
  exceptionVersionSchema,
  listExceptionsQuery,
  reasonBody,
  requestExceptionBody,
} from './exception-schemas.js';
import type { ExceptionService } from './exception-service.js';

export function registerExceptionRoutes(
  app: FastifyInstance,
  deps: {
    database: Database;
    clock: Clock;
    exceptions: ExceptionService;
  },
): void {
  const { database, exceptions } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/exceptions',
    {
      config: { action: 'exceptions.request' },
      schema: {
        tags: ['exceptions'],
        summary:
          'Request a time-boxed exception for an artifact, naming the findings or rules it waives (pending)',
        body: requestExceptionBody,
        response: { 201: exceptionSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) =>
        exceptions.request(trx, request.ctx, request.body),
      ),
  );

  r.get(
    '/api/v1/exceptions',
    {
      config: { action: 'exceptions.read' },
      schema: {
        tags: ['exceptions'],
        summary: 'List exceptions, filtered, cursor-paginated in request order',
        querystring: listExceptionsQuery,
        response: {
          200: z.object({
            exceptions: z.array(exceptionSchema),
            next_cursor: z.string().nullable(),
          }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, ...filters } = request.query;
      const page = pageOf(
        await exceptions.list({ ...filters, afterId: cursor, limit: limit + 1 }),
        limit,
      );
      return { exceptions: page.items, next_cursor: page.next_cursor };
    },
  );

  r.get(
    '/api/v1/exceptions/:id',
    {
      config: { action: 'exceptions.read' },
      schema: {
        tags: ['exceptions'],
        summary: 'One exception, with its status and days_until_expiry as of now',
        params: idParams,
        response: { 200: exceptionSchema, ...commonErrors },
      },
    },
    async (request) => exceptions.get(request.params.id),
  );

  r.get(
    '/api/v1/exceptions/:id/versions',
    {
      config: { action: 'exceptions.read' },
      schema: {
        tags: ['exceptions'],
        summary: 'Every version of an exception, oldest first',
        params: idParams,
        response: {
          200: z.object({ versions: z.array(exceptionVersionSchema) }),
          ...commonErrors,
        },
      },
    },
    async (request) => ({ versions: await exceptions.versions(request.params.id) }),
  );

  r.post(
    '/api/v1/exceptions/:id/approve',
    {
      config: { action: 'exceptions.decide' },
      schema: {
        tags: ['exceptions'],
        summary: 'Approve a pending, unexpired exception (security reviewer, not the requester)',
        params: idParams,
        body: approveExceptionBody,
        response: { 200: exceptionSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) =>
        exceptions.approve(trx, request.ctx, request.params.id, request.body.verification_steps),
      ),
  );

  r.post(
    '/api/v1/exceptions/:id/reject',
    {
      config: { action: 'exceptions.decide' },
      schema: {
        tags: ['exceptions'],
        summary: 'Reject a pending exception (security reviewer, not the requester)',
        params: idParams,
        body: reasonBody,
        response: { 200: exceptionSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) =>
        exceptions.reject(trx, request.ctx, request.params.id, request.body.reason),
      ),
  );

  r.post(
    '/api/v1/exceptions/:id/revoke',
    {
      config: { action: 'exceptions.revoke' },
      schema: {
        tags: ['exceptions'],
        summary:
          'Revoke an approved, unexpired exception: it stops counting at once (security reviewer, not the requester)',
        params: idParams,
        body: reasonBody,
        response: { 200: exceptionSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) =>
        exceptions.revoke(trx, request.ctx, request.params.id, request.body.reason),
      ),
  );
}
