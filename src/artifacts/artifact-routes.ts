import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { createOnceAround } from '../platform/http/idempotency.js';
import { registerRawBodyRoutes } from '../platform/http/raw-body.js';
import { commonErrors, isoDateTime } from '../platform/http/schemas.js';
import {
  type ArtifactResult,
  type ArtifactService,
  artifactRecordedConcurrently,
} from './artifact-service.js';

export const sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hexadecimal characters (a SHA-256 digest)');

const signatureReportSchema = z.object({
  verdict: z.string().describe('`valid`, or the reason this signature does not verify'),
  message: z.string(),
  nested: z.boolean().describe('Nested in the primary signature (a dual signature)'),
  digest_algorithm: z.string().nullable(),
  algorithm: z.string().nullable(),
  signer_subject: z.string().nullable(),
  issuer: z.string().nullable(),
  serial_number: z.string().nullable(),
  not_before: z.string().nullable(),
  not_after: z.string().nullable(),
  chain_valid: z.boolean(),
  code_signing: z.boolean(),
  trust_anchor_subject: z.string().nullable(),
  trust_anchor_sha256: z.string().nullable(),
  timestamp: z
    .object({
      kind: z.enum(['rfc3161', 'legacy_countersignature']),
      at: z.string(),
      authority: z.string(),
    })
    .nullable()
    .describe('The countersigned signing time certificate validity was judged at, if any'),
  validity_at: z.string().nullable(),
});

const embeddedSignatureSchema = z
  .object({
    format: z.enum(['pe', 'msi']),
    verified_at: isoDateTime.describe('When the verdict below was reached (the upload)'),
    material_sha256: z
      .string()
      .nullable()
      .describe('Blob of the PKCS#7 and digests kept to judge the signature again later'),
    report: z.object({
      format: z.enum(['pe', 'msi']),
      status: z.enum(['valid', 'invalid', 'unsigned']),
      reason: z.string().optional(),
      message: z.string().optional(),
      signatures: z.array(signatureReportSchema),
    }),
  })
  .meta({ id: 'EmbeddedSignature' });

const artifactSchema = z
  .object({
    sha256: z.string(),
    size_bytes: z.number().int(),
    publisher: z.string(),
    filename: z.string(),
    build_time: isoDateTime.nullable(),
    content_stored: z.boolean(),
    created_by: z.string(),
    created_at: isoDateTime,
    embedded_signature: embeddedSignatureSchema
      .nullable()
      .describe(
        'The Authenticode signature inside an uploaded PE or MSI, verified at upload; null for other files and registered artifacts',
      ),
  })
  .meta({ id: 'Artifact' });

const metadata = {
  publisher: z.string().trim().min(1).max(300),
  filename: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .refine((name) => !/[\\/]/.test(name), 'must be a file name, not a path'),
  build_time: isoDateTime.optional(),
};

const sha256Params = z.strictObject({ sha256: sha256Schema });

/** 201 when the artifact is new, 200 when the same one was already known. */
const answer = (result: ArtifactResult) => ({
  status: result.created ? 201 : 200,
  body: result.artifact,
});

export async function registerArtifactRoutes(
  app: FastifyInstance,
  deps: {
    artifacts: ArtifactService;
    database: Database;
    clock: Clock;
    config: { maxUploadBytes: number };
  },
): Promise<void> {
  const { artifacts } = deps;

  await registerRawBodyRoutes(app, (scope) => {
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/artifacts',
      {
        config: { action: 'artifacts.create' },
        schema: {
          tags: ['artifacts'],
          summary: 'Upload an artifact (streamed, hashed while streaming)',
          description:
            'The body is the artifact itself (Content-Type: application/octet-stream). 201 when new, ' +
            '200 when the same bytes were already known.',
          querystring: z.strictObject(metadata),
          response: { 200: artifactSchema, 201: artifactSchema, ...commonErrors },
        },
      },
      async (request, reply) =>
        // Streamed outside any transaction; recorded in the route's, retried once when a
        // concurrent upload of the same digest took the key (it then answers as known).
        createOnceAround(
          deps,
          request,
          reply,
          { rawBody: true },
          {
            receive: (source) => artifacts.receive(source),
            store: async (trx, upload) =>
              answer(await artifacts.store(trx, request.ctx, upload, request.query)),
            release: (upload, committed) => artifacts.release(upload, committed),
            onUniqueViolation: 'retry',
          },
        ),
    );
  });

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/api/v1/artifacts/register',
    {
      config: { action: 'artifacts.create' },
      schema: {
        tags: ['artifacts'],
        summary: 'Record an artifact stored elsewhere, by digest',
        body: z.strictObject({
          sha256: sha256Schema,
          size_bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
          ...metadata,
        }),
        response: { 200: artifactSchema, 201: artifactSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnceAround(
        deps,
        request,
        reply,
        { rawBody: false },
        {
          receive: async () => undefined,
          store: async (trx) => answer(await artifacts.register(trx, request.ctx, request.body)),
          onUniqueViolation: () => artifactRecordedConcurrently(request.body.sha256),
        },
      ),
  );

  r.get(
    '/api/v1/artifacts/:sha256',
    {
      config: { action: 'artifacts.read' },
      schema: {
        tags: ['artifacts'],
        summary: 'An artifact’s record',
        params: sha256Params,
        response: { 200: artifactSchema, ...commonErrors },
      },
    },
    async (request) => artifacts.get(request.params.sha256),
  );

  r.get(
    '/api/v1/artifacts/:sha256/content',
    {
      config: { action: 'artifacts.read' },
      schema: {
        tags: ['artifacts'],
        summary: 'Download an uploaded artifact’s bytes',
        params: sha256Params,
      },
    },
    async (request, reply) => {
      const { artifact, chunks } = await artifacts.content(request.params.sha256);
      return reply
        .type('application/octet-stream')
        .header('content-length', String(artifact.size_bytes))
        .header(
          'content-disposition',
          `attachment; filename="${artifact.filename.replaceAll('"', '')}"`,
        )
        .send(Readable.from(chunks));
    },
  );
}
