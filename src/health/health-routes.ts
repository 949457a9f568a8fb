import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { SigningKey } from '../platform/crypto/signing-key.js';
import type { Database } from '../platform/db/database.js';
import { pendingMigrations } from '../platform/db/migrate.js';

export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { database: Database; registry: Registry; signingKey: SigningKey },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  r.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'The database answers and its migrations are current',
        response: {
          200: z.object({ status: z.literal('ready'), database: z.string() }),
          503: z.object({
            status: z.literal('not_ready'),
            database: z.string(),
            detail: z.string(),
          }),
        },
      },
    },
    async (_request, reply) => {
      const dialect = deps.database.dialect;
      try {
        await sql`select 1`.execute(deps.database.db);
        const pending = await pendingMigrations(deps.database);
        if (pending.length > 0) {
          return reply.code(503).send({
            status: 'not_ready' as const,
            database: dialect,
            detail: `migrations pending: ${pending.join(', ')}`,
          });
        }
        return { status: 'ready' as const, database: dialect };
      } catch (error) {
        return reply.code(503).send({
          status: 'not_ready' as const,
          database: dialect,
          detail: `database unreachable: ${(error as Error).message}`,
        });
      }
    },
  );

  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
    reply.type(deps.registry.contentType).send(await deps.registry.metrics()),
  );

  r.get(
    '/api/v1/keys',
    {
      config: { public: true },
      schema: {
        tags: ['keys'],
        summary: 'The server’s public signing keys (for offline verification)',
        response: {
          200: z.object({
            keys: z.array(
              z.object({
                key_id: z.string(),
                algorithm: z.literal('ed25519'),
                public_key_pem: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      keys: [
        {
          key_id: deps.signingKey.keyId,
          algorithm: 'ed25519' as const,
          public_key_pem: deps.signingKey.publicKeyPem,
        },
      ],
    }),
  );
}
