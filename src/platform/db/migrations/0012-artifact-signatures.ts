import type { Kysely, Migration } from 'kysely';

/**
 * The publisher's signature found inside an uploaded artifact (Authenticode in a PE or MSI):
 * what was read from the file in the upload's single pass — the PKCS#7 blobs and the
 * Authenticode digests they are checked against — and the verdict at upload. Keeping the
 * material lets a later assessment judge the signature again against the trust anchors and
 * publishers in force then, without reading the file a second time. JSON text on both
 * dialects; null for an artifact registered by digest or one with no embedded signature.
 */
export function artifactSignatures(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('artifacts').addColumn('embedded_signature', 'text').execute();
    },
  };
}
