import type { Executor } from '../platform/db/database.js';
import { fromDbBool } from '../platform/db/database.js';
import type { ArtifactsTable } from '../platform/db/schema.js';
import type { EmbeddedSignature } from './embedded-signature.js';

export interface Artifact {
  sha256: string;
  size_bytes: number;
  publisher: string;
  filename: string;
  build_time: string | null;
  content_stored: boolean;
  created_by: string;
  created_at: string;
  /** The signature found inside the uploaded file (Authenticode); null when none or not uploaded. */
  embedded_signature: EmbeddedSignature | null;
}

function toArtifact(row: ArtifactsTable): Artifact {
  return {
    ...row,
    size_bytes: Number(row.size_bytes),
    content_stored: fromDbBool(row.content_stored),
    embedded_signature:
      row.embedded_signature === null
        ? null
        : (JSON.parse(row.embedded_signature) as EmbeddedSignature),
  };
}

function embeddedColumn(embedded: EmbeddedSignature | null): string | null {
  return embedded === null ? null : JSON.stringify(embedded);
}

export async function findArtifact(db: Executor, sha256: string): Promise<Artifact | null> {
  const row = await db
    .selectFrom('artifacts')
    .selectAll()
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  return row ? toArtifact(row) : null;
}

export async function insertArtifact(db: Executor, artifact: Artifact): Promise<void> {
  await db
    .insertInto('artifacts')
    .values({ ...artifact, embedded_signature: embeddedColumn(artifact.embedded_signature) })
    .execute();
}

/**
 * A registered artifact whose bytes arrive later keeps its record; the flag changes, and what
 * the bytes showed of an embedded signature is recorded.
 */
export async function markContentStored(
  db: Executor,
  sha256: string,
  embedded: EmbeddedSignature | null,
): Promise<void> {
  await db
    .updateTable('artifacts')
    .set({ content_stored: true, embedded_signature: embeddedColumn(embedded) })
    .where('sha256', '=', sha256)
    .execute();
}
