import type { Executor } from '../platform/db/database.js';
import { fromDbBool } from '../platform/db/database.js';
import type { ArtifactsTable } from '../platform/db/schema.js';

export interface Artifact {
  sha256: string;
  size_bytes: number;
  publisher: string;
  filename: string;
  build_time: string | null;
  content_stored: boolean;
  created_by: string;
  created_at: string;
}

function toArtifact(row: ArtifactsTable): Artifact {
  return {
    ...row,
    size_bytes: Number(row.size_bytes),
    content_stored: fromDbBool(row.content_stored),
  };
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
  await db.insertInto('artifacts').values(artifact).execute();
}

/** A registered artifact whose bytes arrive later keeps its record; only the flag changes. */
export async function markContentStored(db: Executor, sha256: string): Promise<void> {
  await db
    .updateTable('artifacts')
    .set({ content_stored: true })
    .where('sha256', '=', sha256)
    .execute();
}
