import type { AuditLog } from '../audit/audit-log.js';
import { assertNotOwnRecord } from '../identity/authorization.js';
import type { Outbox, Recipient } from '../outbox/outbox.js';
import type { Clock } from '../platform/clock.js';
import { type Context, systemContext } from '../platform/context.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import {
  ConflictError,
  NotFoundError,
  type ProblemDetail,
  UnprocessableError,
} from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import {
  dueThreshold,
  normaliseThresholds,
  reminderHorizonMs,
  reminderKey,
  reminderRecipients,
} from './exception-reminders.js';
import {
  DAY_MS,
  daysUntilExpiry,
  type ExceptionStatus,
  type ExceptionType,
  effectiveStatus,
  type RuleProblem,
  type Transition,
  validateRequest,
} from './exception-rules.js';
import type { ExceptionRecord } from './exception-store.js';
import * as store from './exception-store.js';
import { type Exception, type ExceptionVersion, versionOf, viewOf } from './exception-view.js';

export interface ExceptionRequest {
  exception_type: ExceptionType;
  scope: { artifact_sha256: string; finding_ids?: string[]; rule_ids?: string[] };
  description: string;
  compensating_controls: string;
  expires_at: string;
}

export interface ExceptionListFilters {
  status?: ExceptionStatus | undefined;
  artifact_sha256?: string | undefined;
  requested_by?: string | undefined;
  expiring_within_days?: number | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** What the policy engine needs of an exception that applies. */
export interface ActiveException {
  id: string;
  exception_type: ExceptionType;
  finding_ids: string[];
  rule_ids: string[];
  expires_at: string;
  approved_by: string;
  approved_at: string;
  compensating_controls: string;
  compensating_control_verification: string;
  description: string;
  requested_by: string;
}

/** Who must hear that an approved exception stopped counting (the CAB marks requests stale). */
export interface ExceptionLapseListener {
  lapsed(
    trx: Trx,
    ctx: Context,
    exceptionId: string,
    code: 'exception_expired' | 'exception_revoked',
  ): Promise<unknown>;
}

/**
 * Who gets told about exceptions: security reviewers on a request, the requester on a
 * decision, both before expiry (a disabled requester is left out of reminders).
 */
export interface ExceptionRecipients {
  recipientsWithRole(role: 'security_reviewer', db?: Executor): Promise<Recipient[]>;
  getUser(id: string, db?: Executor): Promise<{ id: string; email: string; disabled?: boolean }>;
}

export interface ExceptionServiceDeps {
  database: Database;
  clock: Clock;
  audit: AuditLog;
  outbox: Outbox;
  people: ExceptionRecipients;
  lapses: ExceptionLapseListener;
  /** The artifacts domain, asked whether the exception's subject exists. */
  artifacts: { exists(sha256: string, db?: Executor): Promise<boolean> };
  /** The intents domain's ownership rule: the requester owns an intent deploying the artifact. */
  owners: {
    assertOwnsAnIntentOf(ctx: Context, artifactSha256: string, db: Executor): Promise<void>;
  };
  /** CABINET_EXCEPTION_MAX_DAYS: the furthest ahead an exception may expire. */
  maxDays: number;
  /**
   * CABINET_EXCEPTION_REMINDER_DAYS: days before expiry to remind the requester and the
   * security reviewers (default 7 and 1); an empty list sends no reminders.
   */
  reminderDays?: readonly number[];
}

/** Exceptions read per reminder transaction: short transactions, bounded memory. */
const REMINDER_PAGE = 100;

/**
 * Exceptions: time-boxed waivers of named findings or rules for one artifact digest,
 * decided by a security reviewer who is not the requester. Every transition writes the new
 * state, a whole-row version and an audit event in the caller's transaction.
 */
export class ExceptionService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #maxDays: number;
  readonly #outbox: Outbox;
  readonly #people: ExceptionRecipients;
  readonly #lapses: ExceptionLapseListener;
  readonly #artifacts: ExceptionServiceDeps['artifacts'];
  readonly #owners: ExceptionServiceDeps['owners'];
  readonly #reminderDays: readonly number[];

  constructor(deps: ExceptionServiceDeps) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#maxDays = deps.maxDays;
    this.#outbox = deps.outbox;
    this.#people = deps.people;
    this.#lapses = deps.lapses;
    this.#artifacts = deps.artifacts;
    this.#owners = deps.owners;
    this.#reminderDays = normaliseThresholds(deps.reminderDays ?? [7, 1]);
  }

  async request(trx: Trx, ctx: Context, input: ExceptionRequest): Promise<Exception> {
    await this.#owners.assertOwnsAnIntentOf(ctx, input.scope.artifact_sha256, trx);
    const now = this.#clock.now();
    const expiresAt = new Date(input.expires_at);
    const findingIds = input.scope.finding_ids ?? [];
    const ruleIds = input.scope.rule_ids ?? [];
    const problems: RuleProblem[] = validateRequest(
      {
        exception_type: input.exception_type,
        finding_ids: findingIds,
        rule_ids: ruleIds,
        expires_at: expiresAt,
      },
      now,
      this.#maxDays,
    );
    if (!(await this.#artifacts.exists(input.scope.artifact_sha256, trx))) {
      problems.unshift({
        path: '/scope/artifact_sha256',
        message: `no artifact ${input.scope.artifact_sha256} is known: upload or register it first`,
        reason: 'artifact_unknown',
      });
    }
    throwIfAny(problems);

    const record: ExceptionRecord = {
      id: uuidv7(now.getTime()),
      exception_type: input.exception_type,
      artifact_sha256: input.scope.artifact_sha256,
      finding_ids: findingIds,
      rule_ids: ruleIds,
      description: input.description,
      compensating_controls: input.compensating_controls,
      compensating_control_verification: null,
      expires_at: expiresAt.toISOString(),
      status: 'pending',
      requested_by: ctx.actorId,
      requested_at: now.toISOString(),
      approved_by: null,
      approved_at: null,
      decided_by: null,
      decided_at: null,
      decided_reason: null,
      revision: 1,
      updated_at: now.toISOString(),
    };
    await store.insertException(trx, record);
    await this.#recordVersion(trx, ctx, record, 'requested', {
      exception_type: record.exception_type,
      artifact_sha256: record.artifact_sha256,
      finding_ids: record.finding_ids,
      rule_ids: record.rule_ids,
      description: record.description,
      compensating_controls: record.compensating_controls,
      expires_at: record.expires_at,
      status: record.status,
      revision: record.revision,
    });
    const reviewers = (await this.#people.recipientsWithRole('security_reviewer', trx)).filter(
      (r) => r.user_id !== ctx.actorId,
    );
    await this.#outbox.enqueue(trx, ctx, {
      channel: 'email',
      event_type: 'exception.requested',
      recipients: reviewers,
      subject_id: record.id,
      payload: { exception: viewOf(record, now) },
    });
    return viewOf(record, now);
  }

  async approve(trx: Trx, ctx: Context, id: string, verificationSteps: string): Promise<Exception> {
    const now = this.#clock.now();
    const before = await this.#decidable(trx, ctx, id, now, 'approved');
    if (Date.parse(before.expires_at) <= now.getTime()) {
      throw new UnprocessableError(
        `Exception ${id} expired at ${before.expires_at}; an expired exception cannot be approved: request a new one.`,
        [],
        'exception_expired',
      );
    }
    const after: ExceptionRecord = {
      ...before,
      status: 'approved',
      approved_by: ctx.actorId,
      approved_at: now.toISOString(),
      compensating_control_verification: verificationSteps,
      revision: before.revision + 1,
      updated_at: now.toISOString(),
    };
    await this.#transition(trx, ctx, before, after, 'approved', {
      verification_steps: verificationSteps,
      expires_at: after.expires_at,
    });
    return viewOf(after, now);
  }

  async reject(trx: Trx, ctx: Context, id: string, reason: string): Promise<Exception> {
    const now = this.#clock.now();
    const before = await this.#decidable(trx, ctx, id, now, 'rejected');
    const after = closed(before, 'rejected', ctx, now, reason);
    await this.#transition(trx, ctx, before, after, 'rejected', { reason });
    return viewOf(after, now);
  }

  async revoke(trx: Trx, ctx: Context, id: string, reason: string): Promise<Exception> {
    const now = this.#clock.now();
    const before = await this.#getForUpdate(trx, id);
    assertNotOwnRecord(ctx, before.requested_by, 'an exception');
    const status = effectiveStatus(before.status, before.expires_at, now);
    if (status !== 'approved') {
      throw new ConflictError(
        `Exception ${id} is ${status}; only an approved, unexpired exception can be revoked.`,
        'exception_not_approved',
      );
    }
    const after = closed(before, 'revoked', ctx, now, reason);
    await this.#transition(trx, ctx, before, after, 'revoked', { reason });
    await this.#lapses.lapsed(trx, ctx, id, 'exception_revoked');
    return viewOf(after, now);
  }

  async get(id: string, db: Executor = this.#database.db): Promise<Exception> {
    const record = await store.findException(db, id);
    if (!record) throw new NotFoundError('Exception', id);
    return viewOf(record, this.#clock.now());
  }

  async list(filters: ExceptionListFilters): Promise<Exception[]> {
    const now = this.#clock.now();
    const { expiring_within_days, ...rest } = filters;
    const records = await store.listExceptions(this.#database.db, {
      ...rest,
      now,
      expiringBy:
        expiring_within_days === undefined
          ? undefined
          : new Date(now.getTime() + expiring_within_days * DAY_MS),
    });
    return records.map((record) => viewOf(record, now));
  }

  async versions(id: string): Promise<ExceptionVersion[]> {
    const db = this.#database.db;
    if (!(await store.findException(db, id))) throw new NotFoundError('Exception', id);
    return (await store.listVersions(db, id)).map(versionOf);
  }

  /**
   * The exceptions that apply to an artifact at `at` (the policy engine passes the instant
   * it freezes the facts): approved and `expires_at > at`. Expiry is enforced here by time,
   * so an exception stops counting the moment it expires, sweep or no sweep.
   */
  async activeExceptions(
    artifactSha256: string,
    at: Date,
    db: Executor = this.#database.db,
  ): Promise<ActiveException[]> {
    const records = await store.listActive(db, artifactSha256, at);
    return records.map((record) => ({
      id: record.id,
      exception_type: record.exception_type,
      finding_ids: record.finding_ids,
      rule_ids: record.rule_ids,
      expires_at: record.expires_at,
      // Set together with the status: an approved exception always has them.
      approved_by: record.approved_by!,
      approved_at: record.approved_at!,
      compensating_controls: record.compensating_controls,
      compensating_control_verification: record.compensating_control_verification!,
      description: record.description,
      requested_by: record.requested_by,
    }));
  }

  /**
   * Moves approved exceptions past their expiry to `expired`, each in a transaction of its
   * own. Safe on any number of instances at once: the conditional update lets exactly one
   * sweep take each exception, and only that one writes the version and the audit event.
   * Returns how many this call expired.
   */
  async expireDue(): Promise<number> {
    const now = this.#clock.now();
    const ctx = systemContext();
    let expired = 0;
    for (const id of await store.listDue(this.#database.db, now)) {
      const took = await this.#database.transaction(async (trx) => {
        const after = await store.markExpired(trx, id, now);
        if (!after) return false;
        await this.#recordVersion(trx, ctx, after, 'expired', {
          from: 'approved',
          to: 'expired',
          revision: after.revision,
          expires_at: after.expires_at,
        });
        await this.#lapses.lapsed(trx, ctx, id, 'exception_expired');
        return true;
      });
      if (took) expired += 1;
    }
    return expired;
  }

  /**
   * Reminds the requester and the security reviewers of approved exceptions about to expire:
   * one email per exception and threshold (exception-reminders.ts says which threshold is
   * due). Safe on any number of instances at once: each reminder carries a dedupe key the
   * outbox keeps once (a unique index), so of racing sweeps exactly one writes it; the
   * others' inserts do nothing. Recipients are resolved now, disabled users left out.
   * Returns how many reminders this call enqueued.
   */
  async remindExpiring(): Promise<number> {
    if (this.#reminderDays.length === 0) return 0;
    const now = this.#clock.now();
    const ctx = systemContext();
    const expiringBy = new Date(now.getTime() + reminderHorizonMs(this.#reminderDays));
    let written = 0;
    let afterId: string | undefined;
    for (;;) {
      const page = await store.listExceptions(this.#database.db, {
        status: 'approved',
        expiringBy,
        now,
        afterId,
        limit: REMINDER_PAGE,
      });
      const due = page.flatMap((record) => {
        const threshold = dueThreshold(record.expires_at, now, this.#reminderDays);
        return threshold === null ? [] : [{ record, threshold }];
      });
      if (due.length > 0) {
        written += await this.#database.transaction(async (trx) => {
          const reviewers = await this.#people.recipientsWithRole('security_reviewer', trx);
          let enqueued = 0;
          // In id order on every instance, so racing sweeps meet on the keys in one order.
          for (const { record, threshold } of due) {
            const requester = await this.#people
              .getUser(record.requested_by, trx)
              .catch((error: unknown) => {
                if (error instanceof NotFoundError) return null;
                throw error;
              });
            enqueued += (
              await this.#outbox.enqueue(trx, ctx, {
                channel: 'email',
                event_type: 'exception.expiring',
                recipients: reminderRecipients(requester, reviewers),
                subject_id: record.id,
                dedupe_key: reminderKey(record.id, threshold),
                payload: {
                  exception: viewOf(record, now),
                  threshold_days: threshold,
                  days_left: daysUntilExpiry(record.expires_at, now),
                  expires_at: record.expires_at,
                },
              })
            ).length;
          }
          return enqueued;
        });
      }
      if (page.length < REMINDER_PAGE) break;
      afterId = page[page.length - 1]!.id;
    }
    return written;
  }

  async #getForUpdate(trx: Trx, id: string): Promise<ExceptionRecord> {
    const record = await store.findExceptionForUpdate(trx, this.#database.dialect, id);
    if (!record) throw new NotFoundError('Exception', id);
    return record;
  }

  /** Held, not the actor's own request, and still pending: the state is checked under the lock. */
  async #decidable(
    trx: Trx,
    ctx: Context,
    id: string,
    now: Date,
    to: 'approved' | 'rejected',
  ): Promise<ExceptionRecord> {
    const before = await this.#getForUpdate(trx, id);
    assertNotOwnRecord(ctx, before.requested_by, 'an exception');
    if (before.status !== 'pending') {
      const status = effectiveStatus(before.status, before.expires_at, now);
      throw new ConflictError(
        `Exception ${id} is ${status}; only a pending exception can be ${to}.`,
        'exception_not_pending',
      );
    }
    return before;
  }

  async #transition(
    trx: Trx,
    ctx: Context,
    before: ExceptionRecord,
    after: ExceptionRecord,
    transition: Transition,
    data: Record<string, unknown>,
  ): Promise<void> {
    await store.updateException(trx, after, before.revision);
    await this.#recordVersion(trx, ctx, after, transition, {
      from: before.status,
      to: after.status,
      revision: after.revision,
      ...data,
    });
    const requester = await this.#people.getUser(after.requested_by, trx);
    await this.#outbox.enqueue(trx, ctx, {
      channel: 'email',
      event_type: `exception.${transition}`,
      // A disabled requester is told nothing (as for every recipient list).
      recipients: requester.disabled ? [] : [{ user_id: requester.id, email: requester.email }],
      subject_id: after.id,
      payload: { exception: viewOf(after, this.#clock.now()), ...data },
    });
  }

  /** The whole row as a version and the audit event, both in the transition's transaction. */
  async #recordVersion(
    trx: Trx,
    ctx: Context,
    record: ExceptionRecord,
    transition: Transition,
    data: Record<string, unknown>,
  ): Promise<void> {
    await store.insertVersion(trx, {
      exception_id: record.id,
      revision: record.revision,
      transition,
      snapshot: record,
      changed_by: ctx.actorId,
      changed_at: record.updated_at,
    });
    await this.#audit.append(trx, ctx, {
      type: `exception.${transition}`,
      subject: record.id,
      data,
    });
  }
}

/** Rejected or revoked: who closed it, when and why. */
function closed(
  before: ExceptionRecord,
  status: 'rejected' | 'revoked',
  ctx: Context,
  now: Date,
  reason: string,
): ExceptionRecord {
  return {
    ...before,
    status,
    decided_by: ctx.actorId,
    decided_at: now.toISOString(),
    decided_reason: reason,
    revision: before.revision + 1,
    updated_at: now.toISOString(),
  };
}

/** All rule problems at once (422); `reason` names the first, `errors` lists every one. */
function throwIfAny(problems: RuleProblem[]): void {
  const first = problems[0];
  if (!first) return;
  const errors: ProblemDetail[] = problems.map(({ path, message }) => ({ path, message }));
  throw new UnprocessableError(
    `The exception request breaks ${problems.length === 1 ? 'a rule' : `${problems.length} rules`}: ${first.path} ${first.message}${problems.length > 1 ? ' (and more, see errors)' : ''}.`,
    errors,
    first.reason,
  );
}
