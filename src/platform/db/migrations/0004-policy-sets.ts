import type { Kysely, Migration } from 'kysely';
import { DEFAULT_POLICY_SET } from '../../../policy/policy-set.js';
import { canonicalJson } from '../../crypto/canonical-json.js';
import type { DialectName } from '../database.js';
import { makeAppendOnly } from './append-only.js';

export function policySets(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('policy_sets')
        .addColumn('version', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // Versions are immutable: a change is a new version, never an edit.
      await makeAppendOnly(db, dialect, 'policy_sets');
      const seed = DEFAULT_POLICY_SET;
      await (db as Kysely<{ policy_sets: Record<string, unknown> }>)
        .insertInto('policy_sets')
        .values({
          version: seed.version,
          seq: 1,
          description: seed.description,
          config: canonicalJson(seed.config),
          created_by: seed.created_by,
          created_at: seed.created_at,
        })
        .execute();
    },
  };
}
