import { z } from 'zod';
import { isoDateTime } from '../platform/http/schemas.js';

const sigstoreIdentity = z.strictObject({
  san: z
    .string()
    .trim()
    .min(1)
    .max(1000)
    .describe(
      'The certificate SAN (e.g. a workflow URL); "*" only as the last character: a prefix',
    ),
  issuer: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .describe(
      'The OIDC issuer, matched exactly (e.g. https://token.actions.githubusercontent.com)',
    ),
});

const x509Subject = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .describe(
    'RFC 4514 attributes that must all appear in the signer subject, e.g. "O=Contoso Ltd, C=US"',
  );

const publisherName = z.string().trim().min(1).max(300);

export const createPublisherBody = z.strictObject({
  name: publisherName,
  x509_subject: x509Subject.optional(),
  sigstore_identity: sigstoreIdentity.optional(),
});

export const patchPublisherBody = z.strictObject({
  name: publisherName.optional(),
  x509_subject: x509Subject.nullable().optional(),
  sigstore_identity: sigstoreIdentity.nullable().optional(),
});

export const ifMatchHeaders = z.looseObject({
  'if-match': z
    .string()
    .max(100)
    .optional()
    .describe('The revision the change is based on; refused with 409 when it is no longer current'),
});

export const publisherSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    x509_subject: z.string().nullable(),
    sigstore_identity: z.object({ san: z.string(), issuer: z.string() }).nullable(),
    revision: z.number().int(),
    created_by: z.string(),
    created_at: isoDateTime,
    updated_by: z.string(),
    updated_at: isoDateTime,
    removed_at: isoDateTime.nullable(),
    removed_by: z.string().nullable(),
  })
  .meta({ id: 'TrustedPublisher' });

const authority = z.object({ uri: z.string(), certificates: z.number().int() });
const log = z.object({ base_url: z.string() });

export const sigstoreRootSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    media_type: z.string(),
    sha256: z.string(),
    summary: z.object({
      certificate_authorities: z.array(authority),
      tlogs: z.array(log),
      ctlogs: z.array(log),
      timestamp_authorities: z.array(authority),
    }),
    created_by: z.string(),
    created_at: isoDateTime,
    removed_at: isoDateTime.nullable(),
    removed_by: z.string().nullable(),
  })
  .meta({ id: 'SigstoreRoot' });

export const createSigstoreRootBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  trusted_root: z
    .unknown()
    .describe('A Sigstore trusted_root.json document, e.g. the public-good instance’s'),
});

export const includeRemovedQuery = z.strictObject({
  include_removed: z.enum(['true', 'false']).default('false'),
});
