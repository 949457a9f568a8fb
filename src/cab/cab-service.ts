import type { AuditEventView, AuditLog } from '../audit/audit-log.js';
import type { ActiveException } from '../exceptions/exception-service.js';
import type { Exception } from '../exceptions/exception-view.js';
import type { User } from '../identity/identity-service.js';
import type { Role } from '../identity/roles.js';
import type { IntentStatusMove } from '../intents/intent-rules.js';
import type { Intent } from '../intents/intent-service.js';
import type { Outbox, Recipient } from '../outbox/outbox.js';
import type { PackBody } from '../packs/pack-body.js';
import type { PackDiff } from '../packs/pack-diff.js';
import type { PackView } from '../packs/pack-service.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { SigningKey } from '../platform/crypto/signing-key.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  type ProblemDetail,
  UnprocessableError,
} from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import { quote } from '../platform/text/quote.js';
import { type ChangeType, requirementFor } from './approval-policy.js';
import type { ApprovalPolicyService } from './approval-policy-service.js';
import {
  APPROVED_STATUSES,
  type CabFacts,
  type CabStatus,
  nextStatus,
  type Refusal,
  refusalOf,
} from './cab-rules.js';
import type {
  CabRequestRecord,
  Condition,
  RequestFilters,
  StaleReason,
  VoteRecord,
} from './cab-store.js';
import * as store from './cab-store.js';
import {
  type CabRequestSummary,
  type ConditionView,
  conditionViews,
  packSummaryOf,
  summaryOf,
  type VoteView,
  voteView,
} from './cab-view.js';
import { decisionStatement, signDecision } from './decision-attestation.js';

const DAY_MS = 86_400_000;
/** The queue's band counts stop here: past a thousand, "1,000+" says as much as the number. */
export const BAND_COUNT_CAP = 1_000;

/** What the CAB reads of packs (the packs domain's service, behind a narrow interface). */
export interface PackGateway {
  get(id: string, db?: Executor): Promise<PackView>;
  body(id: string, db?: Executor): Promise<PackBody>;
  latestId(intentId: string, db?: Executor): Promise<string | null>;
  diff(id: string): Promise<PackDiff>;
}

export interface IntentGateway {
  getForUpdate(trx: Trx, id: string): Promise<Intent>;
  /** The intents domain's ownership rule (403 `not_intent_owner`). */
  assertOwner(ctx: Context, intent: Intent, action: string): void;
  moveStatus(
    trx: Trx,
    ctx: Context,
    id: string,
    move: IntentStatusMove,
    data?: Record<string, unknown>,
  ): Promise<Intent>;
}

export interface ExceptionGateway {
  activeExceptions(artifactSha256: string, at: Date, db?: Executor): Promise<ActiveException[]>;
  get(id: string, db?: Executor): Promise<Exception>;
}

export interface PeopleGateway {
  getUser(id: string, db?: Executor): Promise<User>;
  recipientsWithRole(role: Role, db?: Executor): Promise<Recipient[]>;
}

export interface CabServiceDeps {
  database: Database;
  clock: Clock;
  audit: AuditLog;
  outbox: Outbox;
  signingKey: SigningKey;
  packs: PackGateway;
  intents: IntentGateway;
  exceptions: ExceptionGateway;
  people: PeopleGateway;
  policies: ApprovalPolicyService;
  authorizationDays: number;
  postReviewDays: number;
}

export interface SubmitInput {
  evidence_pack_id: string;
  justification: string;
  emergency?: boolean | undefined;
}

export interface ConditionInput {
  text: string;
  blocks_rollout?: boolean | undefined;
  before_ring?: string | null | undefined;
  due_at?: string | null | undefined;
}

export interface GateResult {
  request_id: string;
  ring: string;
  allowed: boolean;
  status: CabStatus;
  authorization_expires_at: string | null;
  reasons: { code: string; message: string }[];
  checked_at: string;
}

export interface CabRequestDetail extends CabRequestSummary {
  approval_conditions: ConditionView[];
  votes: VoteView[];
  comments: { id: string; author: string; text: string; at: string }[];
  post_review: { reviewer: string; outcome: string; notes: string; at: string } | null;
  attestation_available: boolean;
  pack_summary: ReturnType<typeof packSummaryOf>;
  risk: PackBody['risk'];
  policy: {
    approved: boolean;
    policy_set_version: string;
    violations: PackBody['policy_violations'];
    waived: PackBody['policy_waived'];
  };
  exceptions: {
    id: string;
    exception_type: string;
    status: string;
    expires_at: string;
    days_until_expiry: number;
    finding_ids: string[];
    rule_ids: string[];
  }[];
  diff: PackDiff | null;
  audit_events: AuditEventView[];
}

function refuse(refusal: Refusal): never {
  if (refusal.kind === 'forbidden') throw new ForbiddenError(refusal.message, refusal.reason);
  throw new ConflictError(refusal.message, refusal.reason);
}

/**
 * The CAB workflow: submit a pack, vote, decide, supersede, mark stale, gate. Every method
 * that changes something runs in the caller's transaction (the route owns it) and writes its
 * audit events and outbox messages there too; status changes go through cab-rules.ts alone.
 */
export class CabService {
  readonly #d: CabServiceDeps;

  constructor(deps: CabServiceDeps) {
    this.#d = deps;
  }

  async submit(trx: Trx, ctx: Context, input: SubmitInput): Promise<CabRequestSummary> {
    const { packs, intents, clock } = this.#d;
    const pack = await packs.get(input.evidence_pack_id, trx);
    const intent = await intents.getForUpdate(trx, pack.intent_id);
    intents.assertOwner(ctx, intent, 'submit its packs');
    const latest = await packs.latestId(intent.id, trx);
    if (latest !== pack.id) {
      throw new ConflictError(
        `Pack ${pack.id} is version ${pack.version}, not the intent's latest (${latest}): submit the latest version.`,
        'pack_not_latest',
      );
    }
    const existing = await store.findRequestOfPack(trx, pack.id);
    if (existing) {
      throw new ConflictError(
        `Pack ${pack.id} was already submitted as CAB request ${existing.id} (${existing.status}).`,
        'already_submitted',
      );
    }
    if (intent.status !== 'ready') {
      throw new ConflictError(
        `Intent ${intent.id} is ${intent.status}; only a ready intent can be submitted.`,
        'intent_not_ready',
      );
    }
    const body = pack.body;
    const policy = await this.#d.policies.current(trx);
    const emergency = input.emergency === true;
    const violationCount = Object.keys(body.policy_violations).length;
    const exceptionIds = body.exception_records.map((e) => e.id);
    const facts = emptyFacts({
      emergency,
      risk_score: body.risk.score,
      violation_count: violationCount,
      exception_count: exceptionIds.length,
    });
    // review_required is the complement of standard_change: one of the two always holds.
    const status = nextStatus('submit', null, facts)!;
    const changeType: ChangeType =
      status === 'auto_approved' ? 'standard' : emergency ? 'emergency' : 'normal';
    const requirement = requirementFor(policy, body.risk.recommendation, changeType);
    const now = clock.now();
    const at = now.toISOString();
    const severity = body.vuln_scan_results?.severity_counts;
    const record: CabRequestRecord = {
      id: uuidv7(now.getTime()),
      pack_id: pack.id,
      pack_version: pack.version,
      pack_digest: pack.digest,
      intent_id: intent.id,
      artifact_sha256: body.artifact_sha256,
      artifact_filename: body.artifact_filename,
      rings: body.rollout_plan.rings.map((r) => r.name),
      app_name: intent.app_name,
      app_version: intent.app_version,
      plane: intent.plane,
      change_type: changeType,
      risk_score: body.risk.score,
      risk_model_version: body.risk.model_version,
      recommendation: body.risk.recommendation,
      risk_threshold_exceeded: body.risk.threshold_exceeded,
      policy_violations: body.policy_violations as unknown as Record<string, unknown>,
      violation_count: violationCount,
      finding_counts: {
        critical: severity?.critical ?? 0,
        high: severity?.high ?? 0,
        medium: severity?.medium ?? 0,
        low: severity?.low ?? 0,
        unknown: severity?.unknown ?? 0,
      },
      exception_ids: exceptionIds,
      exception_count: exceptionIds.length,
      submitted_at: at,
      submitted_by: ctx.actorId,
      // The answer names the submitter as every later read does (one lookup, by key).
      submitted_by_email: (await this.#d.people.getUser(ctx.actorId, trx)).email,
      submission_justification: input.justification,
      status: 'pending',
      approvals_required: status === 'auto_approved' ? 0 : requirement.approvals,
      security_reviewer_required:
        status === 'auto_approved' ? false : requirement.security_reviewer_required,
      approval_policy_version: policy.version,
      approvals: 0,
      denials: 0,
      reviewed_at: null,
      reviewed_by: null,
      review_notes: null,
      approval_conditions: [],
      authorization_expires_at: null,
      stale_reasons: [],
      post_review_due_at: null,
      superseded_by: null,
      revision: 1,
      updated_at: at,
    };
    await intents.moveStatus(trx, ctx, intent.id, 'submit', { cab_request_id: record.id });
    this.#d.audit.appendAtCommit(trx, ctx, {
      type: 'cab.request.submitted',
      subject: record.id,
      data: {
        intent_id: record.intent_id,
        pack_id: record.pack_id,
        pack_version: record.pack_version,
        pack_digest: record.pack_digest,
        change_type: record.change_type,
        risk_score: record.risk_score,
        recommendation: record.recommendation,
        violation_count: record.violation_count,
        exception_ids: record.exception_ids,
        approvals_required: record.approvals_required,
        security_reviewer_required: record.security_reviewer_required,
        approval_policy_version: record.approval_policy_version,
        justification: record.submission_justification,
      },
    });
    if (status === 'auto_approved') {
      const decided = this.#decided(record, 'auto_approved', ctx, null, now);
      await store.insertRequest(trx, decided);
      await this.#recordDecision(trx, ctx, record, decided, []);
      return summaryOf(decided);
    }
    await store.insertRequest(trx, record);
    await this.#d.outbox.enqueue(trx, ctx, {
      channel: 'email',
      event_type: 'cab.request.submitted',
      recipients: await this.#reviewersOf(trx, ctx.actorId),
      subject_id: record.id,
      payload: { request: summaryOf(record) },
    });
    return summaryOf(record);
  }

  async approve(
    trx: Trx,
    ctx: Context,
    id: string,
    input: { notes?: string | undefined; conditions?: ConditionInput[] | undefined },
  ): Promise<void> {
    await this.#vote(trx, ctx, id, 'approve', input.notes ?? null, input.conditions ?? []);
  }

  async deny(trx: Trx, ctx: Context, id: string, reason: string): Promise<void> {
    await this.#vote(trx, ctx, id, 'deny', reason, []);
  }

  async #vote(
    trx: Trx,
    ctx: Context,
    id: string,
    decision: 'approve' | 'deny',
    notes: string | null,
    conditionInputs: ConditionInput[],
  ): Promise<void> {
    const before = await this.#getForUpdate(trx, id);
    const votes = await store.listVotes(trx, [id]);
    const refusal = refusalOf(
      'vote',
      { ...before, voters: votes.map((v) => v.reviewer_id) },
      ctx.actorId,
    );
    if (refusal) refuse(refusal);
    const now = this.#d.clock.now();
    if (decision === 'approve') await this.#assertExceptionsHold(trx, before, now);
    const earlier = votes.reduce((n, v) => n + v.conditions.length, 0);
    const conditions = this.#conditions(before, conditionInputs, now, earlier);
    const voter = await this.#d.people.getUser(ctx.actorId, trx);
    const vote: VoteRecord = {
      id: uuidv7(now.getTime()),
      request_id: id,
      reviewer_id: ctx.actorId,
      reviewer_email: voter.email,
      reviewer_roles: [...voter.roles],
      decision,
      notes,
      conditions,
      at: now.toISOString(),
    };
    await store.insertVote(trx, vote);
    const all = [...votes, vote];
    const approvals = all.filter((v) => v.decision === 'approve');
    const facts = emptyFacts({
      emergency: before.change_type === 'emergency',
      risk_score: before.risk_score,
      violation_count: before.violation_count,
      exception_count: before.exception_count,
      approvals: approvals.length,
      denials: all.length - approvals.length,
      approvals_required: before.approvals_required,
      security_reviewer_required: before.security_reviewer_required,
      security_reviewer_approved: approvals.some((v) =>
        v.reviewer_roles.includes('security_reviewer'),
      ),
      condition_count: approvals.reduce((n, v) => n + v.conditions.length, 0),
    });
    // Every vote on a pending request matches exactly one rule (deny, quorum ±, below quorum).
    const to = nextStatus('vote', 'pending', facts)!;
    this.#d.audit.appendAtCommit(trx, ctx, {
      type: 'cab.vote.cast',
      subject: id,
      data: {
        decision,
        notes,
        conditions,
        approvals: facts.approvals,
        denials: facts.denials,
        approvals_required: before.approvals_required,
      },
    });
    const counted: CabRequestRecord = {
      ...before,
      approvals: facts.approvals,
      denials: facts.denials,
      revision: before.revision + 1,
      updated_at: vote.at,
    };
    if (to === 'pending') {
      await store.updateRequest(trx, counted, before);
      return;
    }
    const decided = this.#decided(
      { ...counted, approval_conditions: approvals.flatMap((v) => v.conditions) },
      to,
      ctx,
      notes,
      now,
    );
    await store.updateRequest(trx, decided, before);
    await this.#recordDecision(trx, ctx, before, decided, all);
  }

  /** The request in its decided state: who completed it, when, and until when it authorises. */
  #decided(
    record: CabRequestRecord,
    to: CabStatus,
    ctx: Context,
    notes: string | null,
    now: Date,
  ): CabRequestRecord {
    const approved = APPROVED_STATUSES.includes(to);
    return {
      ...record,
      status: to,
      reviewed_at: now.toISOString(),
      reviewed_by: ctx.actorId,
      review_notes: notes,
      authorization_expires_at: approved
        ? new Date(now.getTime() + this.#d.authorizationDays * DAY_MS).toISOString()
        : null,
      post_review_due_at:
        approved && record.change_type === 'emergency'
          ? new Date(now.getTime() + this.#d.postReviewDays * DAY_MS).toISOString()
          : null,
      updated_at: now.toISOString(),
    };
  }

  /** The decision row (with its attestation for approvals), the intent's move, events, messages. */
  async #recordDecision(
    trx: Trx,
    ctx: Context,
    before: CabRequestRecord,
    after: CabRequestRecord,
    votes: VoteRecord[],
  ): Promise<void> {
    const approved = APPROVED_STATUSES.includes(after.status);
    const envelope = approved ? this.#attest(after, votes) : null;
    await store.insertDecision(trx, {
      request_id: after.id,
      status: after.status,
      decided_by: ctx.actorId,
      decided_at: after.reviewed_at!,
      attestation: envelope ? JSON.stringify(envelope) : null,
    });
    await this.#d.intents.moveStatus(trx, ctx, after.intent_id, approved ? 'approve' : 'deny', {
      cab_request_id: after.id,
    });
    this.#d.audit.appendAtCommit(trx, ctx, {
      type: 'cab.request.decided',
      subject: after.id,
      data: {
        from: before.status,
        to: after.status,
        change_type: after.change_type,
        approvals: after.approvals,
        denials: after.denials,
        conditions: after.approval_conditions,
        review_notes: after.review_notes,
        authorization_expires_at: after.authorization_expires_at,
        post_review_due_at: after.post_review_due_at,
      },
    });
    const submitter = await this.#d.people.getUser(after.submitted_by, trx);
    const request = summaryOf(after);
    await this.#d.outbox.enqueue(
      trx,
      ctx,
      {
        channel: 'email',
        event_type: 'cab.request.decided',
        // A disabled submitter is told nothing (as for every recipient list).
        recipients: submitter.disabled ? [] : [{ user_id: submitter.id, email: submitter.email }],
        subject_id: after.id,
        payload: { request, reason: approved ? null : after.review_notes },
      },
      {
        channel: 'webhook',
        event_type: approved ? 'deployment.authorized' : 'deployment.denied',
        plane: after.plane,
        subject_id: after.id,
        payload: approved
          ? {
              request,
              evidence_pack: request.evidence_pack,
              plane: after.plane,
              rings: after.rings,
              conditions: after.approval_conditions,
              authorization_expires_at: after.authorization_expires_at,
              attestation: envelope,
            }
          : { request, reason: after.review_notes },
      },
    );
  }

  #attest(after: CabRequestRecord, votes: VoteRecord[]) {
    const statement = decisionStatement(
      { name: after.artifact_filename, sha256: after.artifact_sha256 },
      {
        request_id: after.id,
        intent_id: after.intent_id,
        pack: { id: after.pack_id, version: after.pack_version, digest: after.pack_digest },
        plane: after.plane,
        status: after.status,
        change_type: after.change_type,
        votes: votes.map((v) => ({
          reviewer_id: v.reviewer_id,
          reviewer_email: v.reviewer_email,
          roles: v.reviewer_roles,
          decision: v.decision,
          at: v.at,
        })),
        conditions: after.approval_conditions,
        risk: {
          score: after.risk_score,
          model_version: after.risk_model_version,
          recommendation: after.recommendation,
        },
        approval_policy_version: after.approval_policy_version,
        decided_at: after.reviewed_at!,
        authorization_expires_at: after.authorization_expires_at!,
      },
    );
    return signDecision(statement, this.#d.signingKey);
  }

  /** Validates the conditions of an approval and gives each an id unique in the request. */
  #conditions(
    request: CabRequestRecord,
    inputs: ConditionInput[],
    now: Date,
    already: number,
  ): Condition[] {
    const problems: ProblemDetail[] = [];
    const conditions = inputs.map((input, index): Condition => {
      const ring = input.before_ring ?? null;
      if (ring !== null && !request.rings.includes(ring)) {
        problems.push({
          path: `/conditions/${index}/before_ring`,
          message: `the rollout plan has no ring ${quote(ring)} (rings: ${request.rings.join(', ')})`,
        });
      }
      const due = input.due_at ?? null;
      if (due !== null && Date.parse(due) <= now.getTime()) {
        problems.push({
          path: `/conditions/${index}/due_at`,
          message: `must be in the future (it is ${due}, now is ${now.toISOString()})`,
        });
      }
      return {
        id: `c${already + index + 1}`,
        text: input.text,
        blocks_rollout: input.blocks_rollout ?? false,
        before_ring: ring,
        due_at: due === null ? null : new Date(due).toISOString(),
      };
    });
    const first = problems[0];
    if (first) {
      throw new UnprocessableError(
        `The conditions are not valid: ${first.path} ${first.message}${problems.length > 1 ? ' (and more, see errors)' : ''}.`,
        problems,
        'invalid_condition',
      );
    }
    return conditions;
  }

  /**
   * An exception that has lapsed by time stops counting at once, before the sweep marks the
   * request stale: an approval must not slip through in between.
   */
  async #assertExceptionsHold(trx: Trx, request: CabRequestRecord, now: Date): Promise<void> {
    const lapsed = await this.#lapsedExceptions(request, now, trx);
    if (lapsed.length > 0) {
      throw new ConflictError(
        `CAB request ${request.id} relies on exception ${lapsed.join(', ')}, no longer active: generate and submit a new pack version.`,
        'evidence_stale',
      );
    }
  }

  /** The exceptions the request's pack relied on that are not active at `now`. */
  async #lapsedExceptions(request: CabRequestRecord, now: Date, db: Executor): Promise<string[]> {
    if (request.exception_ids.length === 0) return [];
    const active = await this.#d.exceptions.activeExceptions(request.artifact_sha256, now, db);
    const ids = new Set(active.map((e) => e.id));
    return request.exception_ids.filter((e) => !ids.has(e));
  }

  /** CAB members to tell about a request, never its submitter. */
  async #reviewersOf(trx: Trx, submittedBy: string): Promise<Recipient[]> {
    const members = await this.#d.people.recipientsWithRole('cab_member', trx);
    return members.filter((m) => m.user_id !== submittedBy);
  }

  /**
   * A new pack version of the intent closes its open requests as superseded and returns the
   * intent to ready. Called by pack generation inside its transaction.
   */
  async supersedeOpen(
    trx: Trx,
    ctx: Context,
    intentId: string,
    newPack: { id: string; version: string },
  ): Promise<void> {
    const open = await store.pendingOfIntentForUpdate(trx, this.#d.database.dialect, intentId);
    for (const before of open) {
      const to = nextStatus('supersede', before.status, emptyFacts({}))!;
      const now = this.#d.clock.now();
      const after: CabRequestRecord = {
        ...before,
        status: to,
        superseded_by: newPack.id,
        revision: before.revision + 1,
        updated_at: now.toISOString(),
      };
      await store.updateRequest(trx, after, before);
      await store.insertDecision(trx, {
        request_id: after.id,
        status: to,
        decided_by: ctx.actorId,
        decided_at: after.updated_at,
        attestation: null,
      });
      await this.#d.intents.moveStatus(trx, ctx, intentId, 'reopen', {
        superseded_request_id: after.id,
        new_pack_id: newPack.id,
      });
      this.#d.audit.appendAtCommit(trx, ctx, {
        type: 'cab.request.superseded',
        subject: after.id,
        data: {
          from: before.status,
          to,
          pack_id: before.pack_id,
          new_pack_id: newPack.id,
          new_pack_version: newPack.version,
        },
      });
      await this.#d.outbox.enqueue(trx, ctx, {
        channel: 'webhook',
        event_type: 'cab.request.superseded',
        plane: after.plane,
        subject_id: after.id,
        payload: { request: summaryOf(after), new_pack: newPack },
      });
    }
  }

  /**
   * An exception the pack relied on expired or was revoked: every pending request relying on
   * it gets a stale reason (once per exception) and its reviewers are told.
   */
  async markStale(
    trx: Trx,
    ctx: Context,
    exceptionId: string,
    code: StaleReason['code'],
  ): Promise<number> {
    let marked = 0;
    for (const id of await store.pendingRelyingOn(trx, exceptionId)) {
      const before = await this.#getForUpdate(trx, id);
      if (before.stale_reasons.some((r) => r.exception_id === exceptionId)) continue;
      // Only a pending request goes stale (the machine has no other mark_stale rule).
      if (nextStatus('mark_stale', before.status, emptyFacts({})) === null) continue;
      const now = this.#d.clock.now().toISOString();
      const reason: StaleReason = {
        code,
        exception_id: exceptionId,
        message: `exception ${exceptionId} ${code === 'exception_expired' ? 'expired' : 'was revoked'}; the pack relied on it`,
        at: now,
      };
      const after: CabRequestRecord = {
        ...before,
        stale_reasons: [...before.stale_reasons, reason],
        revision: before.revision + 1,
        updated_at: now,
      };
      await store.updateRequest(trx, after, before);
      this.#d.audit.appendAtCommit(trx, ctx, {
        type: 'cab.request.stale',
        subject: id,
        data: { reason },
      });
      await this.#d.outbox.enqueue(trx, ctx, {
        channel: 'email',
        event_type: 'cab.request.stale',
        recipients: await this.#reviewersOf(trx, before.submitted_by),
        subject_id: id,
        payload: { request: summaryOf(after), reason },
      });
      marked += 1;
    }
    return marked;
  }

  async verifyCondition(
    trx: Trx,
    ctx: Context,
    id: string,
    conditionId: string,
    notes: string,
  ): Promise<void> {
    const request = await this.#getForUpdate(trx, id);
    const refusal = refusalOf('verify_condition', { ...request, voters: [] }, ctx.actorId);
    if (refusal) refuse(refusal);
    if (request.status !== 'approved_with_conditions') {
      throw new ConflictError(
        `CAB request ${id} is ${request.status}; only conditions of an approval with conditions are verified.`,
        'not_conditionally_approved',
      );
    }
    const condition = request.approval_conditions.find((c) => c.id === conditionId);
    if (!condition) throw new NotFoundError('Condition', `${conditionId} of CAB request ${id}`);
    const done = await store.listVerifications(trx, id);
    if (done.some((v) => v.condition_id === conditionId)) {
      throw new ConflictError(
        `Condition ${conditionId} of CAB request ${id} is already verified.`,
        'condition_already_verified',
      );
    }
    const at = this.#d.clock.now().toISOString();
    await store.insertVerification(trx, {
      request_id: id,
      condition_id: conditionId,
      verified_by: ctx.actorId,
      notes,
      at,
    });
    this.#d.audit.appendAtCommit(trx, ctx, {
      type: 'cab.condition.verified',
      subject: id,
      data: { condition_id: conditionId, text: condition.text, notes },
    });
  }

  async comment(trx: Trx, ctx: Context, id: string, text: string): Promise<void> {
    const request = await this.#getForUpdate(trx, id);
    const now = this.#d.clock.now();
    const comment = {
      id: uuidv7(now.getTime()),
      request_id: request.id,
      author_id: ctx.actorId,
      text,
      at: now.toISOString(),
    };
    await store.insertComment(trx, comment);
    this.#d.audit.appendAtCommit(trx, ctx, {
      type: 'cab.comment.added',
      subject: id,
      data: { comment_id: comment.id, text },
    });
  }

  async postReview(
    trx: Trx,
    ctx: Context,
    id: string,
    input: { notes: string; outcome: 'successful' | 'issues' | 'failed' },
  ): Promise<void> {
    const request = await this.#getForUpdate(trx, id);
    const refusal = refusalOf('post_review', { ...request, voters: [] }, ctx.actorId);
    if (refusal) refuse(refusal);
    if (request.change_type !== 'emergency' || !APPROVED_STATUSES.includes(request.status)) {
      throw new ConflictError(
        `CAB request ${id} is a ${request.change_type} change, ${request.status}; a post-implementation review is recorded for approved emergency changes.`,
        'post_review_not_applicable',
      );
    }
    if (await store.findPostReview(trx, id)) {
      throw new ConflictError(
        `The post-implementation review of CAB request ${id} is already recorded.`,
        'post_review_recorded',
      );
    }
    const at = this.#d.clock.now().toISOString();
    await store.insertPostReview(trx, {
      request_id: id,
      reviewer_id: ctx.actorId,
      outcome: input.outcome,
      notes: input.notes,
      at,
    });
    this.#d.audit.appendAtCommit(trx, ctx, {
      type: 'cab.post_review.recorded',
      subject: id,
      data: { outcome: input.outcome, notes: input.notes, due_at: request.post_review_due_at },
    });
  }

  /** Re-checks, at each call, everything that must hold for `ring` to start. */
  async gate(id: string, ring: string): Promise<GateResult> {
    const db = this.#d.database.db;
    const request = await this.#get(id, db);
    if (!request.rings.includes(ring)) {
      throw new UnprocessableError(
        `The rollout plan of CAB request ${id} has no ring ${quote(ring)}; its rings are ${request.rings.join(', ')}.`,
        [{ path: 'querystring:ring', message: 'not a ring of the rollout plan' }],
        'unknown_ring',
      );
    }
    const now = this.#d.clock.now();
    const reasons: GateResult['reasons'] = [];
    const status = request.status;
    if (status === 'pending') {
      reasons.push({
        code: request.stale_reasons.length > 0 ? 'evidence_stale' : 'not_decided',
        message: `the request is pending: ${request.approvals} of ${request.approvals_required} approvals${request.stale_reasons.length > 0 ? ', and its evidence is stale' : ''}`,
      });
    } else if (status === 'denied') {
      reasons.push({ code: 'denied', message: `the CAB denied it: ${request.review_notes ?? ''}` });
    } else if (status === 'superseded') {
      reasons.push({
        code: 'superseded',
        message: `a newer pack version (${request.superseded_by}) superseded it: gate on the new request`,
      });
    }
    if (
      request.authorization_expires_at !== null &&
      Date.parse(request.authorization_expires_at) <= now.getTime()
    ) {
      reasons.push({
        code: 'authorization_expired',
        message: `the authorisation expired at ${request.authorization_expires_at}: submit a new pack version`,
      });
    }
    const ringIndex = request.rings.indexOf(ring);
    const verified = new Set((await store.listVerifications(db, id)).map((v) => v.condition_id));
    for (const c of request.approval_conditions) {
      const blocks =
        c.blocks_rollout &&
        (c.before_ring === null || request.rings.indexOf(c.before_ring) <= ringIndex);
      if (blocks && !verified.has(c.id)) {
        reasons.push({
          code: 'condition_unverified',
          message: `condition ${c.id} (${c.text}) must be verified before ${c.before_ring ?? 'any ring'}`,
        });
      }
    }
    for (const e of await this.#lapsedExceptions(request, now, db)) {
      reasons.push({
        code: 'exception_inactive',
        message: `exception ${e}, which the pack relied on, is no longer active`,
      });
    }
    return {
      request_id: id,
      ring,
      allowed: reasons.length === 0,
      status,
      authorization_expires_at: request.authorization_expires_at,
      reasons,
      checked_at: now.toISOString(),
    };
  }

  /** The signed decision of an approved request. */
  async attestation(id: string, db: Executor = this.#d.database.db) {
    const request = await this.#get(id, db);
    const decision = await store.findDecision(db, id);
    if (!decision?.attestation) {
      throw new DomainError(
        'not_found',
        `CAB request ${id} is ${request.status}: only approvals carry a decision attestation.`,
        { reason: 'no_attestation' },
      );
    }
    return JSON.parse(decision.attestation) as ReturnType<typeof signDecision>;
  }

  /** The request with everything a reviewer reads before voting. */
  async detail(id: string): Promise<CabRequestDetail> {
    const db = this.#d.database.db;
    const request = await this.#get(id, db);
    const [votes, comments, verifications, postReview, decision, body, events] = await Promise.all([
      store.listVotes(db, [id]),
      store.listComments(db, id),
      store.listVerifications(db, id),
      store.findPostReview(db, id),
      store.findDecision(db, id),
      this.#d.packs.body(request.pack_id, db),
      this.#d.audit.list({ subject: id }, 500),
    ]);
    const exceptions = await Promise.all(
      body.exception_records.map(async (record) => {
        const current = await this.#d.exceptions.get(record.id, db);
        return {
          id: current.id,
          exception_type: current.exception_type,
          status: current.status,
          expires_at: current.expires_at,
          days_until_expiry: current.days_until_expiry,
          finding_ids: record.finding_ids,
          rule_ids: record.rule_ids,
        };
      }),
    );
    return {
      ...summaryOf(request),
      approval_conditions: conditionViews(request.approval_conditions, verifications),
      votes: votes.map(voteView),
      comments: comments.map((c) => ({ id: c.id, author: c.author_id, text: c.text, at: c.at })),
      post_review: postReview && {
        reviewer: postReview.reviewer_id,
        outcome: postReview.outcome,
        notes: postReview.notes,
        at: postReview.at,
      },
      attestation_available: decision?.attestation != null,
      pack_summary: packSummaryOf(body),
      risk: body.risk,
      policy: {
        approved: body.policy_approved,
        policy_set_version: body.policy_set_version,
        violations: body.policy_violations,
        waived: body.policy_waived,
      },
      exceptions,
      diff: body.previous_pack_id ? await this.#d.packs.diff(request.pack_id) : null,
      audit_events: events.events,
    };
  }

  /** The request's row as the queue shows it: what a `Prefer: return=minimal` answer carries. */
  async summary(id: string): Promise<CabRequestSummary> {
    return summaryOf(await this.#get(id, this.#d.database.db));
  }

  async list(filters: RequestFilters): Promise<CabRequestSummary[]> {
    return (await store.listRequests(this.#d.database.db, filters)).map(summaryOf);
  }

  /** Requests per band, each counted up to BAND_COUNT_CAP (see countByBand). */
  async countsByBand(statuses: readonly CabStatus[]): Promise<store.BandCounts> {
    return store.countByBand(this.#d.database.db, statuses, BAND_COUNT_CAP);
  }

  /** The request of a pack, if it was submitted (for the pack's bundle). */
  async ofPack(packId: string, db: Executor = this.#d.database.db) {
    const request = await store.findRequestOfPack(db, packId);
    if (!request) return null;
    const decision = await store.findDecision(db, request.id);
    return {
      request_id: request.id,
      status: request.status,
      attestation: decision?.attestation
        ? (JSON.parse(decision.attestation) as ReturnType<typeof signDecision>)
        : null,
    };
  }

  async #get(id: string, db: Executor): Promise<CabRequestRecord> {
    const request = await store.findRequest(db, id);
    if (!request) throw new NotFoundError('CAB request', id);
    return request;
  }

  async #getForUpdate(trx: Trx, id: string): Promise<CabRequestRecord> {
    const request = await store.findRequestForUpdate(trx, this.#d.database.dialect, id);
    if (!request) throw new NotFoundError('CAB request', id);
    return request;
  }
}

function emptyFacts(partial: Partial<CabFacts>): CabFacts {
  return {
    emergency: false,
    risk_score: 0,
    violation_count: 0,
    exception_count: 0,
    approvals: 0,
    denials: 0,
    approvals_required: 0,
    security_reviewer_required: false,
    security_reviewer_approved: false,
    condition_count: 0,
    ...partial,
  };
}
