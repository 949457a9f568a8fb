import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { createOnceAround } from '../platform/http/idempotency.js';
import { commonErrors, idParams, isoDateTime } from '../platform/http/schemas.js';
import { type PackService, type PackView, packVersionTaken } from './pack-service.js';

const envelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
});

const packSchema = z
  .object({
    id: z.string(),
    intent_id: z.string(),
    version: z.string(),
    digest: z.string(),
    body: z.record(z.string(), z.unknown()),
    envelope: envelopeSchema,
  })
  .meta({ id: 'EvidencePack' });

const verificationSchema = z
  .object({
    ok: z.boolean(),
    checks: z.array(z.object({ part: z.string(), ok: z.boolean(), message: z.string() })),
  })
  .meta({ id: 'PackVerification' });

/** The body is typed by PackBody in code; on the wire it is described as a JSON object. */
function wire(pack: PackView): Omit<PackView, 'body'> & { body: Record<string, unknown> } {
  return { ...pack, body: pack.body as unknown as Record<string, unknown> };
}

export function registerPackRoutes(
  app: FastifyInstance,
  deps: {
    packs: PackService;
    database: Database;
    clock: Clock;
    config: { maxUploadBytes: number };
  },
): void {
  const { packs } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/intents/:id/evidence-packs',
    {
      config: { action: 'packs.generate' },
      schema: {
        tags: ['evidence packs'],
        summary: 'Freeze the intent’s current evidence into a signed pack (next version)',
        description:
          '201 with a new version; 200 with the latest pack when nothing changed since it. 422 names ' +
          'what is missing or blocking (e.g. critical findings without an approved exception, by id).',
        params: idParams,
        response: { 200: packSchema, 201: packSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      // Refused (404, 403) before an Idempotency-Key is claimed; generate checks again.
      await packs.assertMayGenerate(request.ctx, request.params.id);
      // The route's transaction holds the generation and its answer to an Idempotency-Key.
      return createOnceAround(
        deps,
        request,
        reply,
        { rawBody: false },
        {
          receive: async () => undefined,
          store: async (trx) => {
            const { pack, created } = await packs.generate(trx, request.ctx, request.params.id);
            return { status: created ? 201 : 200, body: wire(pack) };
          },
          onUniqueViolation: packVersionTaken,
        },
      );
    },
  );

  r.get(
    '/api/v1/intents/:id/evidence-packs',
    {
      config: { action: 'packs.read' },
      schema: {
        tags: ['evidence packs'],
        summary: 'Every pack version of an intent, oldest first',
        params: idParams,
        response: {
          200: z.object({
            evidence_packs: z.array(
              z.object({
                id: z.string(),
                version: z.string(),
                digest: z.string(),
                previous_pack_id: z.string().nullable(),
                policy_approved: z.boolean(),
                risk_score: z.number().int(),
                risk_model_version: z.string(),
                recommendation: z.string(),
                as_of: isoDateTime,
                created_by: z.string(),
                created_at: isoDateTime,
              }),
            ),
          }),
          ...commonErrors,
        },
      },
    },
    async (request) => ({ evidence_packs: await packs.list(request.params.id) }),
  );

  r.get(
    '/api/v1/evidence-packs/:id',
    {
      config: { action: 'packs.read' },
      schema: {
        tags: ['evidence packs'],
        summary: 'One pack: body, digest and DSSE envelope',
        params: idParams,
        response: { 200: packSchema, ...commonErrors },
      },
    },
    async (request) => wire(await packs.get(request.params.id)),
  );

  r.get(
    '/api/v1/evidence-packs/:id/verify',
    {
      config: { action: 'packs.read' },
      schema: {
        tags: ['evidence packs'],
        summary:
          'Recompute the digest, check the signature, every document’s bytes and the audit chain',
        params: idParams,
        response: { 200: verificationSchema, ...commonErrors },
      },
    },
    async (request) => packs.verify(request.params.id),
  );

  r.get(
    '/api/v1/evidence-packs/:id/diff',
    {
      config: { action: 'packs.read' },
      schema: {
        tags: ['evidence packs'],
        summary: 'What changed from another version (default: the previous one)',
        params: idParams,
        querystring: z.strictObject({ against: z.string().max(100).optional() }),
        response: { 200: z.record(z.string(), z.unknown()), ...commonErrors },
      },
    },
    async (request) =>
      packs.diff(request.params.id, request.query.against) as unknown as Record<string, unknown>,
  );

  r.get(
    '/api/v1/evidence-packs/:id/bundle',
    {
      config: { action: 'packs.export' },
      schema: {
        tags: ['evidence packs'],
        summary: 'One self-contained file to verify offline with `cabinet verify`',
        params: idParams,
      },
    },
    async (request, reply) => {
      const bundle = await packs.bundle(request.params.id);
      return reply
        .type('application/json')
        .header(
          'content-disposition',
          `attachment; filename="evidence-pack-${bundle.pack.id}-v${bundle.pack.version}.bundle.json"`,
        )
        .send(JSON.stringify(bundle));
    },
  );
}
