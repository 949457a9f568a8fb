import type { Kysely, Migration } from 'kysely';
import { DEFAULT_APPROVAL_POLICY } from '../../../cab/approval-policy.js';
import { canonicalJson } from '../../crypto/canonical-json.js';
import type { DialectName } from '../database.js';
import { makeAppendOnly } from './append-only.js';

/**
 * The CAB workflow and the transactional outbox. A request's current state is one mutable
 * row that changes only through the state machine (src/cab/cab-rules.ts); what happened to
 * it — votes, the decision and its attestation, condition verifications, comments, the
 * post-implementation review — is in append-only tables the database refuses to edit.
 */
export function cab(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('approval_policies')
        .addColumn('version', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull().unique())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await makeAppendOnly(db, dialect, 'approval_policies');
      await (db as Kysely<{ approval_policies: Record<string, unknown> }>)
        .insertInto('approval_policies')
        .values({
          version: DEFAULT_APPROVAL_POLICY.version,
          seq: 1,
          config: canonicalJson({
            bands: DEFAULT_APPROVAL_POLICY.bands,
            emergency: DEFAULT_APPROVAL_POLICY.emergency,
          }),
          created_by: 'system',
          created_at: '1970-01-01T00:00:00.000Z',
        })
        .execute();

      await db.schema
        .createTable('cab_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('pack_id', 'text', (c) => c.notNull().unique().references('evidence_packs.id'))
        .addColumn('pack_version', 'text', (c) => c.notNull())
        .addColumn('pack_digest', 'text', (c) => c.notNull())
        .addColumn('intent_id', 'text', (c) => c.notNull().references('intents.id'))
        .addColumn('artifact_sha256', 'text', (c) => c.notNull())
        .addColumn('artifact_filename', 'text', (c) => c.notNull())
        .addColumn('rings', 'text', (c) => c.notNull())
        .addColumn('app_name', 'text', (c) => c.notNull())
        .addColumn('app_version', 'text', (c) => c.notNull())
        .addColumn('plane', 'text', (c) => c.notNull())
        .addColumn('change_type', 'text', (c) => c.notNull())
        .addColumn('risk_score', 'integer', (c) => c.notNull())
        .addColumn('risk_model_version', 'text', (c) => c.notNull())
        .addColumn('recommendation', 'text', (c) => c.notNull())
        .addColumn('risk_threshold_exceeded', 'boolean', (c) => c.notNull())
        .addColumn('policy_violations', 'text', (c) => c.notNull())
        .addColumn('violation_count', 'integer', (c) => c.notNull())
        .addColumn('finding_counts', 'text', (c) => c.notNull())
        .addColumn('exception_ids', 'text', (c) => c.notNull())
        .addColumn('exception_count', 'integer', (c) => c.notNull())
        .addColumn('submitted_at', 'text', (c) => c.notNull())
        .addColumn('submitted_by', 'text', (c) => c.notNull())
        .addColumn('submission_justification', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('approvals_required', 'integer', (c) => c.notNull())
        .addColumn('security_reviewer_required', 'boolean', (c) => c.notNull())
        .addColumn('approval_policy_version', 'text', (c) => c.notNull())
        .addColumn('approvals', 'integer', (c) => c.notNull())
        .addColumn('denials', 'integer', (c) => c.notNull())
        .addColumn('reviewed_at', 'text')
        .addColumn('reviewed_by', 'text')
        .addColumn('review_notes', 'text')
        .addColumn('approval_conditions', 'text', (c) => c.notNull())
        .addColumn('authorization_expires_at', 'text')
        .addColumn('stale_reasons', 'text', (c) => c.notNull())
        .addColumn('post_review_due_at', 'text')
        .addColumn('superseded_by', 'text')
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // The queue pages by (sort key, id) within a status, and filters narrow it further.
      for (const [name, columns] of [
        ['cab_requests_status_score', ['status', 'risk_score', 'id']],
        ['cab_requests_status_submitted', ['status', 'submitted_at', 'id']],
        ['cab_requests_score', ['risk_score', 'id']],
        ['cab_requests_submitted', ['submitted_at', 'id']],
        ['cab_requests_band', ['recommendation', 'status', 'submitted_at', 'id']],
        ['cab_requests_band_score', ['recommendation', 'status', 'risk_score', 'id']],
        ['cab_requests_plane', ['plane', 'status', 'submitted_at', 'id']],
        ['cab_requests_plane_score', ['plane', 'status', 'risk_score', 'id']],
        ['cab_requests_change_type', ['change_type', 'status', 'submitted_at', 'id']],
        ['cab_requests_change_type_score', ['change_type', 'status', 'risk_score', 'id']],
        ['cab_requests_submitter', ['submitted_by', 'status', 'submitted_at', 'id']],
        ['cab_requests_submitter_score', ['submitted_by', 'status', 'risk_score', 'id']],
        ['cab_requests_intent', ['intent_id', 'status']],
        // The queue's counts per band: an index-only count within one status.
        ['cab_requests_status_band', ['status', 'recommendation']],
      ] as const) {
        await db.schema
          .createIndex(name)
          .on('cab_requests')
          .columns([...columns])
          .execute();
      }

      await db.schema
        .createTable('cab_votes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull().references('cab_requests.id'))
        .addColumn('reviewer_id', 'text', (c) => c.notNull())
        .addColumn('reviewer_email', 'text', (c) => c.notNull())
        .addColumn('reviewer_roles', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('notes', 'text')
        .addColumn('conditions', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addUniqueConstraint('cab_votes_one_per_member', ['request_id', 'reviewer_id'])
        .execute();

      await db.schema
        .createTable('cab_decisions')
        .addColumn('request_id', 'text', (c) => c.primaryKey().references('cab_requests.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text', (c) => c.notNull())
        .addColumn('attestation', 'text')
        .execute();

      await db.schema
        .createTable('cab_condition_verifications')
        .addColumn('request_id', 'text', (c) => c.notNull().references('cab_requests.id'))
        .addColumn('condition_id', 'text', (c) => c.notNull())
        .addColumn('verified_by', 'text', (c) => c.notNull())
        .addColumn('notes', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('cab_condition_verifications_pk', ['request_id', 'condition_id'])
        .execute();

      await db.schema
        .createTable('cab_comments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull().references('cab_requests.id'))
        .addColumn('author_id', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('cab_comments_request')
        .on('cab_comments')
        .columns(['request_id', 'id'])
        .execute();

      await db.schema
        .createTable('cab_post_reviews')
        .addColumn('request_id', 'text', (c) => c.primaryKey().references('cab_requests.id'))
        .addColumn('reviewer_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('notes', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();

      for (const table of [
        'cab_votes',
        'cab_decisions',
        'cab_condition_verifications',
        'cab_comments',
        'cab_post_reviews',
      ]) {
        await makeAppendOnly(db, dialect, table);
      }

      // One row per message to deliver; the dispatcher (next) claims, attempts and marks them.
      await db.schema
        .createTable('outbox_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('plane', 'text')
        .addColumn('recipients', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('correlation_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema
        .createIndex('outbox_messages_due')
        .on('outbox_messages')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('outbox_messages_subject')
        .on('outbox_messages')
        .columns(['subject_id'])
        .execute();
    },
  };
}
