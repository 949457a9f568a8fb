import type { Kysely, Migration } from 'kysely';

/**
 * latestPack (ORDER BY minor DESC LIMIT 1) and listPacks (ORDER BY minor) read one index
 * instead of sorting every version of the intent: without it SQLite loads each version's
 * whole row, body and envelope included, into the sorter, so generate and bundle cost grew
 * with the number of versions. The listing columns ride along so listPacks never walks the
 * body's overflow pages to reach the columns stored after it.
 */
export function packIndexes(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('evidence_packs_intent_minor')
        .on('evidence_packs')
        .columns([
          'intent_id',
          'minor',
          'id',
          'version',
          'digest',
          'previous_pack_id',
          'policy_approved',
          'risk_score',
          'risk_model_version',
          'recommendation',
          'as_of',
          'created_by',
          'created_at',
        ])
        .execute();
    },
  };
}
