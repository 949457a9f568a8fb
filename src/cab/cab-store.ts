import type { DialectName, Executor, Trx } from '../platform/db/database.js';
import { fromDbBool } from '../platform/db/database.js';
import { changedColumns, forUpdate, updateAtRevision } from '../platform/db/revisioned.js';
import type { CabRequestsTable } from '../platform/db/schema.js';
import { RECOMMENDATIONS, type Recommendation } from '../risk/risk-model.js';
import type { ChangeType } from './approval-policy.js';
import type { CabStatus } from './cab-rules.js';

export interface Condition {
  id: string;
  text: string;
  blocks_rollout: boolean;
  before_ring: string | null;
  due_at: string | null;
}

export interface StaleReason {
  code: 'exception_expired' | 'exception_revoked';
  exception_id: string;
  message: string;
  at: string;
}

export type SeverityCounts = Record<'critical' | 'high' | 'medium' | 'low' | 'unknown', number>;

/** A request as stored: its current state, JSON columns parsed. */
export interface CabRequestRecord {
  id: string;
  pack_id: string;
  pack_version: string;
  pack_digest: string;
  intent_id: string;
  artifact_sha256: string;
  artifact_filename: string;
  rings: string[];
  app_name: string;
  app_version: string;
  plane: string;
  change_type: ChangeType;
  risk_score: number;
  risk_model_version: string;
  recommendation: Recommendation;
  risk_threshold_exceeded: boolean;
  policy_violations: Record<string, unknown>;
  violation_count: number;
  finding_counts: SeverityCounts;
  exception_ids: string[];
  exception_count: number;
  submitted_at: string;
  submitted_by: string;
  submission_justification: string;
  status: CabStatus;
  approvals_required: number;
  security_reviewer_required: boolean;
  approval_policy_version: string;
  approvals: number;
  denials: number;
  reviewed_at: string | null;
  reviewed_by: string | null;
  review_notes: string | null;
  approval_conditions: Condition[];
  authorization_expires_at: string | null;
  stale_reasons: StaleReason[];
  post_review_due_at: string | null;
  superseded_by: string | null;
  revision: number;
  updated_at: string;
  /** Read from users with the row (never written): null for a record not yet read back. */
  submitted_by_email?: string | null;
}

export interface VoteRecord {
  id: string;
  request_id: string;
  reviewer_id: string;
  reviewer_email: string;
  reviewer_roles: string[];
  decision: 'approve' | 'deny';
  notes: string | null;
  conditions: Condition[];
  at: string;
}

export interface DecisionRecord {
  request_id: string;
  status: CabStatus;
  decided_by: string;
  decided_at: string;
  attestation: string | null;
}

export interface VerificationRecord {
  request_id: string;
  condition_id: string;
  verified_by: string;
  notes: string;
  at: string;
}

export interface CommentRecord {
  id: string;
  request_id: string;
  author_id: string;
  text: string;
  at: string;
}

export interface PostReviewRecord {
  request_id: string;
  reviewer_id: string;
  outcome: 'successful' | 'issues' | 'failed';
  notes: string;
  at: string;
}

function toRow(r: CabRequestRecord): CabRequestsTable {
  return {
    id: r.id,
    pack_id: r.pack_id,
    pack_version: r.pack_version,
    pack_digest: r.pack_digest,
    intent_id: r.intent_id,
    artifact_sha256: r.artifact_sha256,
    artifact_filename: r.artifact_filename,
    rings: JSON.stringify(r.rings),
    app_name: r.app_name,
    app_version: r.app_version,
    plane: r.plane,
    change_type: r.change_type,
    risk_score: r.risk_score,
    risk_model_version: r.risk_model_version,
    recommendation: r.recommendation,
    risk_threshold_exceeded: r.risk_threshold_exceeded,
    policy_violations: JSON.stringify(r.policy_violations),
    violation_count: r.violation_count,
    finding_counts: JSON.stringify(r.finding_counts),
    exception_ids: JSON.stringify(r.exception_ids),
    exception_count: r.exception_count,
    submitted_at: r.submitted_at,
    submitted_by: r.submitted_by,
    submission_justification: r.submission_justification,
    status: r.status,
    approvals_required: r.approvals_required,
    security_reviewer_required: r.security_reviewer_required,
    approval_policy_version: r.approval_policy_version,
    approvals: r.approvals,
    denials: r.denials,
    reviewed_at: r.reviewed_at,
    reviewed_by: r.reviewed_by,
    review_notes: r.review_notes,
    approval_conditions: JSON.stringify(r.approval_conditions),
    authorization_expires_at: r.authorization_expires_at,
    stale_reasons: JSON.stringify(r.stale_reasons),
    post_review_due_at: r.post_review_due_at,
    superseded_by: r.superseded_by,
    revision: r.revision,
    updated_at: r.updated_at,
  };
}

type RequestRow = CabRequestsTable & { submitted_by_email?: string | null };

function toRecord(row: RequestRow): CabRequestRecord {
  return {
    ...row,
    change_type: row.change_type as ChangeType,
    rings: JSON.parse(row.rings) as string[],
    recommendation: row.recommendation as Recommendation,
    status: row.status as CabStatus,
    risk_score: Number(row.risk_score),
    risk_threshold_exceeded: fromDbBool(row.risk_threshold_exceeded),
    security_reviewer_required: fromDbBool(row.security_reviewer_required),
    policy_violations: JSON.parse(row.policy_violations) as Record<string, unknown>,
    violation_count: Number(row.violation_count),
    finding_counts: JSON.parse(row.finding_counts) as SeverityCounts,
    exception_ids: JSON.parse(row.exception_ids) as string[],
    exception_count: Number(row.exception_count),
    approvals_required: Number(row.approvals_required),
    approvals: Number(row.approvals),
    denials: Number(row.denials),
    approval_conditions: JSON.parse(row.approval_conditions) as Condition[],
    stale_reasons: JSON.parse(row.stale_reasons) as StaleReason[],
    revision: Number(row.revision),
  };
}

/**
 * Every read of a request: the row and the submitter's email, from one statement (a scalar
 * subquery rather than a join, so the row lock of FOR UPDATE stays on cab_requests alone).
 */
function selectRequests(db: Executor) {
  return db
    .selectFrom('cab_requests')
    .selectAll('cab_requests')
    .select((eb) =>
      eb
        .selectFrom('users')
        .select('users.email')
        .whereRef('users.id', '=', 'cab_requests.submitted_by')
        .as('submitted_by_email'),
    );
}

export async function insertRequest(db: Executor, record: CabRequestRecord): Promise<void> {
  await db.insertInto('cab_requests').values(toRow(record)).execute();
}

/**
 * Writes what changed between `before` and `after` (the caller holds the row): only those
 * columns, so the indexes on the columns that did not change are left alone.
 */
export async function updateRequest(
  db: Executor,
  after: CabRequestRecord,
  before: CabRequestRecord,
): Promise<void> {
  const changes = changedColumns(toRow(after), toRow(before));
  await updateAtRevision(db, 'cab_requests', after.id, changes, before.revision, 'CAB request');
}

export async function findRequest(db: Executor, id: string): Promise<CabRequestRecord | null> {
  const row = await selectRequests(db).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function findRequestForUpdate(
  trx: Trx,
  dialect: DialectName,
  id: string,
): Promise<CabRequestRecord | null> {
  const query = selectRequests(trx).where('id', '=', id);
  const row = await forUpdate(query, dialect).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function findRequestOfPack(
  db: Executor,
  packId: string,
): Promise<CabRequestRecord | null> {
  const row = await selectRequests(db).where('pack_id', '=', packId).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** The intent's pending requests, held for the rest of the transaction. */
export async function pendingOfIntentForUpdate(
  trx: Trx,
  dialect: DialectName,
  intentId: string,
): Promise<CabRequestRecord[]> {
  const query = selectRequests(trx)
    .where('intent_id', '=', intentId)
    .where('status', '=', 'pending')
    .orderBy('id');
  return (await forUpdate(query, dialect).execute()).map(toRecord);
}

/** Ids of the pending requests whose pack relied on this exception. */
export async function pendingRelyingOn(db: Executor, exceptionId: string): Promise<string[]> {
  // exception_ids is a JSON array of uuid strings: the quoted id cannot match anything else.
  const rows = await db
    .selectFrom('cab_requests')
    .select('id')
    .where('status', '=', 'pending')
    .where('exception_ids', 'like', `%${JSON.stringify(exceptionId)}%`)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

export const SORTS = ['risk_score', '-risk_score', 'submitted_at', '-submitted_at'] as const;
export type RequestSort = (typeof SORTS)[number];

export interface RequestFilters {
  statuses?: readonly CabStatus[] | undefined;
  recommendation?: Recommendation | undefined;
  plane?: string | undefined;
  change_type?: ChangeType | undefined;
  submitted_by?: string | undefined;
  intent_id?: string | undefined;
  sort: RequestSort;
  /** Keyset: the sort value and id of the last row of the previous page. */
  after?: { value: string | number; id: string } | undefined;
  limit: number;
}

/**
 * One page of requests in (sort key, id) order, whatever the filters: a keyset seek, so a
 * deep page costs what the first one does.
 */
export async function listRequests(
  db: Executor,
  filters: RequestFilters,
): Promise<CabRequestRecord[]> {
  const column = filters.sort.replace('-', '') as 'risk_score' | 'submitted_at';
  const descending = filters.sort.startsWith('-');
  let query = selectRequests(db);
  if (filters.statuses) {
    query =
      filters.statuses.length === 1
        ? query.where('status', '=', filters.statuses[0]!)
        : query.where('status', 'in', [...filters.statuses]);
  }
  if (filters.recommendation) query = query.where('recommendation', '=', filters.recommendation);
  if (filters.plane) query = query.where('plane', '=', filters.plane);
  if (filters.change_type) query = query.where('change_type', '=', filters.change_type);
  if (filters.submitted_by) query = query.where('submitted_by', '=', filters.submitted_by);
  if (filters.intent_id) query = query.where('intent_id', '=', filters.intent_id);
  const after = filters.after;
  if (after) {
    // A row-value comparison, so the index on (…, sort key, id) seeks to the cursor instead
    // of filtering every row before it: a deep page costs what the first one does.
    query = query.where(({ eb, refTuple, tuple }) =>
      eb(refTuple(column, 'id'), descending ? '<' : '>', tuple(after.value as never, after.id)),
    );
  }
  const direction = descending ? 'desc' : 'asc';
  const rows = await query
    .orderBy(column, direction)
    .orderBy('id', direction)
    .limit(filters.limit)
    .execute();
  return rows.map(toRecord);
}

export interface BandCounts {
  /** Requests per band, bands with none left out; a band over the cap answers the cap. */
  counts: Record<string, number>;
  /** The bands with more requests than their count says. */
  over: string[];
}

/**
 * Open requests per band, for the queue's header, each band counted up to `cap`: a count
 * walks one index entry per request, so an exact count of a 90,000-request queue cost the
 * first page 7 ms of its 10.
 */
export async function countByBand(
  db: Executor,
  statuses: readonly CabStatus[],
  cap: number,
): Promise<BandCounts> {
  const result: BandCounts = { counts: {}, over: [] };
  for (const band of RECOMMENDATIONS) {
    const capped = db
      .selectFrom('cab_requests')
      .select('id')
      .where('status', 'in', [...statuses])
      .where('recommendation', '=', band)
      .limit(cap + 1)
      .as('capped');
    const row = await db
      .selectFrom(capped)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const n = Number(row.n);
    if (n === 0) continue;
    result.counts[band] = Math.min(n, cap);
    if (n > cap) result.over.push(band);
  }
  return result;
}

export async function insertVote(db: Executor, vote: VoteRecord): Promise<void> {
  await db
    .insertInto('cab_votes')
    .values({
      ...vote,
      reviewer_roles: JSON.stringify(vote.reviewer_roles),
      conditions: JSON.stringify(vote.conditions),
    })
    .execute();
}

export async function listVotes(
  db: Executor,
  requestIds: readonly string[],
): Promise<VoteRecord[]> {
  if (requestIds.length === 0) return [];
  const rows = await db
    .selectFrom('cab_votes')
    .selectAll()
    .where('request_id', 'in', [...requestIds])
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    ...row,
    decision: row.decision as VoteRecord['decision'],
    reviewer_roles: JSON.parse(row.reviewer_roles) as string[],
    conditions: JSON.parse(row.conditions) as Condition[],
  }));
}

export async function insertDecision(db: Executor, decision: DecisionRecord): Promise<void> {
  await db.insertInto('cab_decisions').values(decision).execute();
}

export async function findDecision(
  db: Executor,
  requestId: string,
): Promise<DecisionRecord | null> {
  const row = await db
    .selectFrom('cab_decisions')
    .selectAll()
    .where('request_id', '=', requestId)
    .executeTakeFirst();
  return row ? { ...row, status: row.status as CabStatus } : null;
}

export async function insertVerification(db: Executor, v: VerificationRecord): Promise<void> {
  await db.insertInto('cab_condition_verifications').values(v).execute();
}

export async function listVerifications(
  db: Executor,
  requestId: string,
): Promise<VerificationRecord[]> {
  return db
    .selectFrom('cab_condition_verifications')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('at')
    .orderBy('condition_id')
    .execute();
}

export async function insertComment(db: Executor, comment: CommentRecord): Promise<void> {
  await db.insertInto('cab_comments').values(comment).execute();
}

export async function listComments(db: Executor, requestId: string): Promise<CommentRecord[]> {
  return db
    .selectFrom('cab_comments')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('id')
    .execute();
}

export async function insertPostReview(db: Executor, review: PostReviewRecord): Promise<void> {
  await db.insertInto('cab_post_reviews').values(review).execute();
}

export async function findPostReview(
  db: Executor,
  requestId: string,
): Promise<PostReviewRecord | null> {
  const row = await db
    .selectFrom('cab_post_reviews')
    .selectAll()
    .where('request_id', '=', requestId)
    .executeTakeFirst();
  return row ? { ...row, outcome: row.outcome as PostReviewRecord['outcome'] } : null;
}
