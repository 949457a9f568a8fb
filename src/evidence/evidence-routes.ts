import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { createOnceAround } from '../platform/http/idempotency.js';
import { registerRawBodyRoutes } from '../platform/http/raw-body.js';
import { commonErrors, idParams, isoDateTime } from '../platform/http/schemas.js';
import { briefSummary, type EvidenceItem, type EvidenceService } from './evidence-service.js';
import { EVIDENCE_KINDS } from './parse-evidence.js';

const itemSchema = z
  .object({
    id: z.string(),
    intent_id: z.string(),
    kind: z.enum(EVIDENCE_KINDS),
    format: z.string(),
    spec_version: z.string().nullable(),
    stage: z.enum(['lab', 'ring0']).nullable(),
    artifact_sha256: z.string(),
    sha256: z.string(),
    size_bytes: z.number().int(),
    summary: z.record(z.string(), z.unknown()),
    warnings: z.array(z.string()),
    created_by: z.string(),
    created_at: isoDateTime,
  })
  .meta({ id: 'EvidenceItem' });

const CONTENT_TYPES: Record<string, string> = {
  junit: 'application/xml',
};

export async function registerEvidenceRoutes(
  app: FastifyInstance,
  deps: {
    evidence: EvidenceService;
    database: Database;
    clock: Clock;
    config: { maxUploadBytes: number };
  },
): Promise<void> {
  const { evidence } = deps;

  await registerRawBodyRoutes(app, (scope) => {
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/intents/:id/evidence',
      {
        config: { action: 'evidence.create' },
        schema: {
          tags: ['evidence'],
          summary: 'Attach an evidence document (the raw document is the body)',
          description:
            'SBOMs (CycloneDX 1.2–1.7, SPDX 2.2/2.3), scans (Trivy, Grype, SARIF, CycloneDX), VEX ' +
            '(CycloneDX, OpenVEX), signatures ({signature, certificate_chain} or a Sigstore ' +
            'bundle) and test results (JUnit XML or JSON). Format is detected unless format= is ' +
            'given; Content-Encoding: gzip is accepted.',
          params: idParams,
          querystring: z.strictObject({
            kind: z.enum(EVIDENCE_KINDS),
            format: z.string().max(40).optional(),
            stage: z.enum(['lab', 'ring0']).optional(),
          }),
          response: { 201: itemSchema, ...commonErrors },
        },
      },
      async (request, reply) => {
        const { kind, format, stage } = request.query;
        const intentId = request.params.id;
        // Refused before a byte of the body is read, and before an Idempotency-Key is claimed.
        await evidence.assertMayAttach(request.ctx, intentId);
        // Read and parsed outside any transaction; stored in the route's.
        return createOnceAround(
          deps,
          request,
          reply,
          { rawBody: true },
          {
            receive: (source) => evidence.receive(intentId, kind, source, { format, stage }),
            store: async (trx, received) => ({
              status: 201,
              body: await evidence.store(trx, request.ctx, received),
            }),
            release: (received) => received.discard(),
          },
        );
      },
    );
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/intents/:id/evidence',
    {
      config: { action: 'evidence.read' },
      schema: {
        tags: ['evidence'],
        summary: 'Evidence attached to an intent, oldest first (summaries without their lists)',
        params: idParams,
        querystring: z.strictObject({ kind: z.enum(EVIDENCE_KINDS).optional() }),
        response: { 200: z.object({ evidence: z.array(itemSchema) }), ...commonErrors },
      },
    },
    async (request) => {
      const items = await evidence.list(request.params.id, request.query.kind);
      return {
        evidence: items.map((item: EvidenceItem) => ({
          ...item,
          summary: briefSummary(item.summary),
        })),
      };
    },
  );

  r.get(
    '/api/v1/evidence/:id',
    {
      config: { action: 'evidence.read' },
      schema: {
        tags: ['evidence'],
        summary: 'One evidence item with its full normalised summary and warnings',
        params: idParams,
        response: { 200: itemSchema, ...commonErrors },
      },
    },
    async (request) => evidence.get(request.params.id),
  );

  r.get(
    '/api/v1/evidence/:id/raw',
    {
      config: { action: 'evidence.read' },
      schema: {
        tags: ['evidence'],
        summary: 'The document exactly as uploaded',
        params: idParams,
      },
    },
    async (request, reply) => {
      const { item, chunks } = await evidence.raw(request.params.id);
      return reply
        .type(CONTENT_TYPES[item.format] ?? 'application/json')
        .header('content-length', String(item.size_bytes))
        .header('digest', `sha-256=${Buffer.from(item.sha256, 'hex').toString('base64')}`)
        .header('content-disposition', `attachment; filename="evidence-${item.id}"`)
        .send(Readable.from(chunks));
    },
  );
}
