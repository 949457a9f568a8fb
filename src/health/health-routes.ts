import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { SigningKey } from '../platform/crypto/signing-key.js';
import type { Database } from '../platform/db/database.js';
import { pendingMigrations } from '../platform/db/migrate.js';

/**
 * Every table a migration made append-only (makeAppendOnly in src/platform/db/migrations).
 * test/tamper-on-read.test.ts checks immutabilityTriggers against what a fresh schema has.
 */
export const APPEND_ONLY_TABLES = [
  'audit_events',
  'audit_checkpoints',
  'blobs',
  'blob_chunks',
  'evidence_items',
  'exception_versions',
  'policy_sets',
  'evidence_packs',
  'evidence_pack_documents',
  'approval_policies',
  'cab_votes',
  'cab_decisions',
  'cab_condition_verifications',
  'cab_comments',
  'cab_post_reviews',
  'outbox_attempts',
] as const;

/**
 * Every trigger that keeps stored records immutable, per dialect: the ones makeAppendOnly gives
 * each table (dropAppendOnly drops these), and 0007-blob-parts' guard of its own table.
 */
export function immutabilityTriggers(
  dialect: Database['dialect'],
): { table: string; trigger: string }[] {
  const suffixes =
    dialect === 'sqlite' ? ['no_update', 'no_delete'] : ['no_update_delete', 'no_truncate'];
  const blobParts =
    dialect === 'sqlite'
      ? ['blob_parts_no_update', 'blob_parts_keep_stored']
      : ['blob_parts_guard', 'blob_parts_no_truncate'];
  return [
    ...APPEND_ONLY_TABLES.flatMap((table) =>
      suffixes.map((suffix) => ({ table, trigger: `${table}_${suffix}` })),
    ),
    ...blobParts.map((trigger) => ({ table: 'blob_parts', trigger })),
  ];
}

/**
 * The immutability triggers that are gone (or, on PostgreSQL, disabled). Without them the
 * database no longer refuses edits to evidence, packs and the audit chain: an instance
 * serving then is not one to send traffic to, whatever else answers.
 */
export async function missingImmutabilityTriggers(database: Database): Promise<string[]> {
  const present =
    database.dialect === 'sqlite'
      ? await sql<{ tbl: string; name: string }>`select tbl_name as tbl, name from sqlite_master
          where type = 'trigger'`.execute(database.db)
      : await sql<{ tbl: string; name: string }>`select c.relname as tbl, t.tgname as name
          from pg_trigger t join pg_class c on c.oid = t.tgrelid
          where not t.tgisinternal and t.tgenabled <> 'D' and pg_table_is_visible(c.oid)`.execute(
          database.db,
        );
  const found = new Set(present.rows.map((r) => `${r.tbl}.${r.name}`));
  return immutabilityTriggers(database.dialect)
    .filter(({ table, trigger }) => !found.has(`${table}.${trigger}`))
    .map(({ trigger }) => trigger);
}

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
        summary:
          'The database answers, its migrations are current and its immutability triggers are in place',
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
        const missing = await missingImmutabilityTriggers(deps.database);
        if (missing.length > 0) {
          return reply.code(503).send({
            status: 'not_ready' as const,
            database: dialect,
            detail: `immutability triggers missing: ${missing.join(', ')}`,
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
