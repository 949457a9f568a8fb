import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
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
import type { IdentityService } from './identity-service.js';
import { ROLES } from './roles.js';

const roleSchema = z.enum(ROLES);

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    display_name: z.string(),
    roles: z.array(roleSchema),
    disabled: z.boolean(),
    created_at: isoDateTime,
    updated_at: isoDateTime,
  })
  .meta({ id: 'User' });

const tokenSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string(),
    prefix: z.string(),
    created_by: z.string(),
    created_at: isoDateTime,
    expires_at: isoDateTime,
    revoked_at: isoDateTime.nullable(),
    last_used_at: isoDateTime.nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
  })
  .meta({ id: 'Token' });

export function registerIdentityRoutes(
  app: FastifyInstance,
  deps: { database: Database; clock: Clock; identity: IdentityService },
): void {
  const { database, identity } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/users',
    {
      config: { action: 'users.create' },
      schema: {
        tags: ['identity'],
        summary: 'Create a user (admin)',
        body: z.strictObject({
          email: z.email().max(320),
          display_name: z.string().trim().min(1).max(200),
          roles: z.array(roleSchema).max(ROLES.length),
        }),
        response: { 201: userSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) =>
        identity.createUser(trx, request.ctx, request.body),
      ),
  );

  r.get(
    '/api/v1/users',
    {
      config: { action: 'users.list' },
      schema: {
        tags: ['identity'],
        summary: 'List users',
        querystring: z.strictObject(pageQuery),
        response: {
          200: z.object({ users: z.array(userSchema), next_cursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = pageOf(await identity.listUsers({ afterId: cursor, limit: limit + 1 }), limit);
      return { users: page.items, next_cursor: page.next_cursor };
    },
  );

  r.get(
    '/api/v1/users/:id',
    {
      config: { action: 'users.read' },
      schema: {
        tags: ['identity'],
        summary: 'One user',
        params: idParams,
        response: { 200: userSchema, ...commonErrors },
      },
    },
    async (request) => identity.getUser(request.params.id),
  );

  r.patch(
    '/api/v1/users/:id',
    {
      config: { action: 'users.update' },
      schema: {
        tags: ['identity'],
        summary: 'Change a user’s roles, name, or disable them (admin)',
        params: idParams,
        body: z
          .strictObject({
            roles: z.array(roleSchema).max(ROLES.length).optional(),
            disabled: z.boolean().optional(),
            display_name: z.string().trim().min(1).max(200).optional(),
          })
          .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field' }),
        response: { 200: userSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) =>
        identity.updateUser(trx, request.ctx, request.params.id, request.body),
      ),
  );

  r.post(
    '/api/v1/tokens',
    {
      config: { action: 'tokens.create' },
      schema: {
        tags: ['identity'],
        summary: 'Create an API token (yourself; an admin for anyone). Shown once.',
        body: z.strictObject({
          user_id: z.string().min(1).max(100).optional(),
          name: z.string().trim().min(1).max(200),
          expires_in_days: z.number().int().min(1).max(365).default(90),
        }),
        response: { 201: tokenSchema.extend({ token: z.string() }), ...commonErrors },
      },
    },
    async (request, reply) => {
      // No Idempotency-Key here on purpose: replaying would mean storing the secret.
      const issued = await database.transaction((trx) =>
        identity.createToken(trx, request.ctx, request.body),
      );
      reply.code(201);
      return issued;
    },
  );

  r.get(
    '/api/v1/tokens',
    {
      config: { action: 'tokens.list' },
      schema: {
        tags: ['identity'],
        summary: 'List tokens (yours; admins and auditors may see all or one user’s)',
        querystring: z.strictObject({ ...pageQuery, user_id: z.string().max(100).optional() }),
        response: {
          200: z.object({ tokens: z.array(tokenSchema), next_cursor: z.string().nullable() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const { limit, cursor, user_id } = request.query;
      const tokens = await identity.listTokens(request.ctx, {
        userId: user_id,
        afterId: cursor,
        limit: limit + 1,
      });
      const page = pageOf(tokens, limit);
      return { tokens: page.items, next_cursor: page.next_cursor };
    },
  );

  r.delete(
    '/api/v1/tokens/:id',
    {
      config: { action: 'tokens.revoke' },
      schema: {
        tags: ['identity'],
        summary: 'Revoke a token (yours; an admin any)',
        params: idParams,
        response: { 200: tokenSchema, ...commonErrors },
      },
    },
    async (request) =>
      database.transaction((trx) => identity.revokeToken(trx, request.ctx, request.params.id)),
  );

  r.get(
    '/api/v1/me',
    {
      config: { action: 'me.read' },
      schema: {
        tags: ['identity'],
        summary: 'Who the token belongs to',
        response: {
          200: z.object({ user: userSchema, token_id: z.string() }),
          ...commonErrors,
        },
      },
    },
    async (request) => ({
      user: request.principal!.user,
      token_id: request.principal!.tokenId,
    }),
  );
}
