import { type Migration, type MigrationResult, Migrator } from 'kysely';
import type { Database } from './database.js';
import { foundation } from './migrations/0001-foundation.js';
import { intake } from './migrations/0002-intake.js';
import { exceptions } from './migrations/0003-exceptions.js';
import { policySets } from './migrations/0004-policy-sets.js';
import { evidencePacks } from './migrations/0005-evidence-packs.js';
import { packIndexes } from './migrations/0006-pack-indexes.js';
import { blobParts } from './migrations/0007-blob-parts.js';
import { cab } from './migrations/0008-cab.js';
import { notifications } from './migrations/0009-notifications.js';
import { sessions } from './migrations/0010-sessions.js';
import { publishers } from './migrations/0011-publishers.js';
import { artifactSignatures } from './migrations/0012-artifact-signatures.js';

/** The one migration list; every entry runs on both SQLite and PostgreSQL. */
function migrationsFor(database: Database): Record<string, Migration> {
  return {
    '0001_foundation': foundation(database.dialect),
    '0002_intake': intake(database.dialect),
    '0003_exceptions': exceptions(database.dialect),
    '0004_policy_sets': policySets(database.dialect),
    '0005_evidence_packs': evidencePacks(database.dialect),
    '0006_pack_indexes': packIndexes(),
    '0007_blob_parts': blobParts(database.dialect),
    '0008_cab': cab(database.dialect),
    '0009_notifications': notifications(database.dialect),
    '0010_sessions': sessions(),
    '0011_publishers': publishers(),
    '0012_artifact_signatures': artifactSignatures(),
  };
}

function migratorFor(database: Database): Migrator {
  return new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrationsFor(database) },
  });
}

export interface MigrationOutcome {
  applied: string[];
}

export async function migrateToLatest(database: Database): Promise<MigrationOutcome> {
  const { error, results } = await migratorFor(database).migrateToLatest();
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error');
    throw new Error(
      `migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { applied: (results ?? []).map((r) => r.migrationName) };
}

/** Names of migrations not yet applied: empty when the schema is current. */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const migrations = await migratorFor(database).getMigrations();
  return migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
