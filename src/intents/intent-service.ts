import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import { canonicalJson } from '../platform/crypto/canonical-json.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  type ProblemDetail,
  UnprocessableError,
} from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import {
  assertAcceptsEvidence,
  assertIntentOwner,
  INTENT_STATUS_MOVES,
  type IntentFields,
  type IntentStatusMove,
  validateIntent,
} from './intent-rules.js';
import type { ArtifactSummary, Intent, IntentFilters, IntentRecord } from './intent-store.js';
import * as store from './intent-store.js';

export { assertAcceptsEvidence, assertIntentOwner } from './intent-rules.js';
export type { ArtifactSummary, Intent, IntentFilters } from './intent-store.js';

/** The declared fields, in wire order: what a client may set, and what an audit event shows. */
export const INTENT_FIELDS = [
  'app_name',
  'app_version',
  'plane',
  'artifact_sha256',
  'install_command',
  'install_timeout_seconds',
  'uninstall_command',
  'uninstall_timeout_seconds',
  'detection_method',
  'detection_query',
  'rollout_plan',
  'rollback_plan',
  'justification',
] as const satisfies readonly (keyof IntentFields)[];

// Compile-time guard: a field added to IntentFields but not listed above fails the build.
type Unlisted = Exclude<keyof IntentFields, (typeof INTENT_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : never = true;
void everyFieldListed;

export type IntentPatch = Partial<IntentFields>;

/** Just the declared fields, in wire order (drops ids, status, a joined artifact, …). */
function fieldsOf(s: IntentFields): IntentFields {
  return {
    app_name: s.app_name,
    app_version: s.app_version,
    plane: s.plane,
    artifact_sha256: s.artifact_sha256,
    install_command: s.install_command,
    install_timeout_seconds: s.install_timeout_seconds,
    uninstall_command: s.uninstall_command,
    uninstall_timeout_seconds: s.uninstall_timeout_seconds,
    detection_method: s.detection_method,
    detection_query: s.detection_query,
    rollout_plan: s.rollout_plan,
    rollback_plan: s.rollback_plan,
    justification: s.justification,
  };
}

export class IntentService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(database: Database, clock: Clock, audit: AuditLog) {
    this.#database = database;
    this.#clock = clock;
    this.#audit = audit;
  }

  async create(trx: Trx, ctx: Context, input: IntentFields): Promise<Intent> {
    const fields = fieldsOf(input);
    const artifact = await this.#check(trx, fields);
    const now = this.#clock.now();
    const record: IntentRecord = {
      id: uuidv7(now.getTime()),
      ...fields,
      status: 'draft',
      revision: 1,
      created_by: ctx.actorId,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    };
    await store.insertIntent(trx, record);
    await this.#audit.append(trx, ctx, {
      type: 'intent.created',
      subject: record.id,
      data: { ...fields, status: record.status, revision: record.revision },
    });
    return { ...record, artifact };
  }

  /**
   * Applies a partial change to a draft, by its creator. The merged intent is validated as
   * a whole, so a change to one field cannot break a rule that ties it to another.
   * `expectedRevision` (from If-Match) refuses a change based on a stale read.
   */
  async update(
    trx: Trx,
    ctx: Context,
    id: string,
    patch: IntentPatch,
    expectedRevision?: number,
  ): Promise<Intent> {
    const before = await this.getForUpdate(trx, id);
    assertIntentOwner(ctx, before, 'change it');
    if (before.status !== 'draft') {
      throw new ConflictError(
        `Intent ${id} is ${before.status}; an intent is edited only in draft.`,
        'intent_not_editable',
      );
    }
    if (expectedRevision !== undefined && expectedRevision !== before.revision) {
      throw new ConflictError(
        `Intent ${id} is at revision ${before.revision}, not ${expectedRevision}: reload it and apply the change again.`,
        'revision_mismatch',
      );
    }
    const previous = fieldsOf(before);
    const merged: IntentFields = { ...previous };
    for (const name of INTENT_FIELDS) {
      if (patch[name] !== undefined) Object.assign(merged, { [name]: patch[name] });
    }
    const changed = INTENT_FIELDS.filter(
      (name) => canonicalJson(previous[name]) !== canonicalJson(merged[name]),
    );
    // Saying what is already true changes nothing: no new revision, no event.
    if (changed.length === 0) return before;

    const artifact = await this.#check(trx, merged);
    const after: IntentRecord = {
      ...before,
      ...merged,
      revision: before.revision + 1,
      updated_at: this.#clock.now().toISOString(),
    };
    await store.updateIntent(trx, after, before);
    await this.#audit.append(trx, ctx, {
      type: 'intent.updated',
      subject: id,
      data: {
        revision: after.revision,
        changes: Object.fromEntries(
          changed.map((name) => [name, { before: previous[name], after: merged[name] }]),
        ),
      },
    });
    return { ...after, artifact };
  }

  async get(id: string, db: Executor = this.#database.db): Promise<Intent> {
    const intent = await store.findIntent(db, id);
    if (!intent) throw new NotFoundError('Intent', id);
    return intent;
  }

  list(filters: IntentFilters): Promise<Intent[]> {
    return store.listIntents(this.#database.db, filters);
  }

  /** Reads an intent and holds it for the rest of `trx`: concurrent changes to it queue. */
  async getForUpdate(trx: Trx, id: string): Promise<Intent> {
    const intent = await store.findIntentForUpdate(trx, this.#database.dialect, id);
    if (!intent) throw new NotFoundError('Intent', id);
    return intent;
  }

  /** See assertIntentOwner: 403 `not_intent_owner` unless `ctx` is the intent's owner. */
  assertOwner(ctx: Context, intent: { id: string; created_by: string }, action: string): void {
    assertIntentOwner(ctx, intent, action);
  }

  /** The intent, read for its owner to act on: 404 when unknown, 403 for anyone else. */
  async getOwned(
    ctx: Context,
    id: string,
    action: string,
    db: Executor = this.#database.db,
  ): Promise<Intent> {
    const intent = await this.get(id, db);
    assertIntentOwner(ctx, intent, action);
    return intent;
  }

  /**
   * Exceptions waive findings of an artifact, not of one intent: the requester must own an
   * intent that deploys it. An artifact no intent deploys yet belongs to nobody's change, so
   * anyone allowed to request exceptions may (the security review decides either way).
   */
  async assertOwnsAnIntentOf(ctx: Context, artifactSha256: string, db: Executor): Promise<void> {
    const owners = await store.ownersOfArtifact(db, artifactSha256);
    if (owners.length > 0 && !owners.includes(ctx.actorId)) {
      throw new ForbiddenError(
        `Only the owner of an intent that deploys artifact ${artifactSha256} may request exceptions for it.`,
        'not_intent_owner',
      );
    }
  }

  /** Hands the intent to another submitter (an admin's act), audited with both names. */
  async transferOwner(trx: Trx, ctx: Context, id: string, userId: string): Promise<Intent> {
    const before = await this.getForUpdate(trx, id);
    if (before.created_by === userId) return before;
    const after: IntentRecord = {
      ...before,
      created_by: userId,
      revision: before.revision + 1,
      updated_at: this.#clock.now().toISOString(),
    };
    await store.transferIntent(trx, after, before.revision);
    await this.#audit.append(trx, ctx, {
      type: 'intent.owner.transferred',
      subject: id,
      data: { from: before.created_by, to: userId, revision: after.revision },
    });
    return { ...after, artifact: before.artifact };
  }

  /** See intent-rules.ts: throws `intent_closed` for approved, denied and superseded intents. */
  assertAcceptsEvidence(intent: { id: string; status: string }): void {
    assertAcceptsEvidence(intent);
  }

  /**
   * The evidence intake calls this inside its own transaction after attaching an item:
   * a draft whose artifact exists and which has at least one evidence item becomes
   * `ready`, once. Any other state is left as it is.
   */
  async markReadyIfComplete(trx: Trx, ctx: Context, intentId: string): Promise<void> {
    // The artifact exists: the intent is read joined to its artifact row.
    const intent = await this.getForUpdate(trx, intentId);
    if (intent.status !== 'draft') return;
    const evidenceCount = await store.countEvidence(trx, intentId);
    if (evidenceCount === 0) return;
    const after: IntentRecord = {
      ...intent,
      status: 'ready',
      revision: intent.revision + 1,
      updated_at: this.#clock.now().toISOString(),
    };
    await store.updateIntent(trx, after, intent);
    await this.#audit.append(trx, ctx, {
      type: 'intent.ready',
      subject: intentId,
      data: {
        from: 'draft',
        to: 'ready',
        revision: after.revision,
        artifact_sha256: intent.artifact_sha256,
        evidence_count: evidenceCount,
      },
    });
  }

  /**
   * Moves the intent's status as the CAB workflow says (INTENT_STATUS_MOVES), inside the
   * caller's transaction, with its audit event. A move from a status the table does not
   * list is a 409 `intent_status`: the caller's own checks should have refused earlier.
   */
  async moveStatus(
    trx: Trx,
    ctx: Context,
    intentId: string,
    move: IntentStatusMove,
    data: Record<string, unknown> = {},
  ): Promise<Intent> {
    const intent = await this.getForUpdate(trx, intentId);
    const rule = INTENT_STATUS_MOVES[move];
    if (!(rule.from as readonly string[]).includes(intent.status)) {
      throw new ConflictError(
        `Intent ${intentId} is ${intent.status}; it can be moved to ${rule.to} only from ${rule.from.join(' or ')}.`,
        'intent_status',
      );
    }
    const after: IntentRecord = {
      ...intent,
      status: rule.to,
      revision: intent.revision + 1,
      updated_at: this.#clock.now().toISOString(),
    };
    await store.updateIntent(trx, after, intent);
    this.#audit.appendAtCommit(trx, ctx, {
      type: `intent.${rule.to}`,
      subject: intentId,
      data: { from: intent.status, to: rule.to, revision: after.revision, ...data },
    });
    return { ...after, artifact: intent.artifact };
  }

  /** All business-rule problems at once (422), the unknown artifact first; else the artifact. */
  async #check(trx: Trx, fields: IntentFields): Promise<ArtifactSummary> {
    const problems: ProblemDetail[] = validateIntent(fields);
    const artifact = await store.findArtifact(trx, fields.artifact_sha256);
    if (!artifact) {
      problems.unshift({
        path: '/artifact_sha256',
        message: `no artifact ${fields.artifact_sha256} is known: upload it (POST /api/v1/artifacts) or register it (POST /api/v1/artifacts/register) first`,
      });
    }
    const first = problems[0];
    if (!first) return artifact!;
    throw new UnprocessableError(
      `The intent breaks ${problems.length === 1 ? 'a rule' : `${problems.length} rules`}: ${first.path} ${first.message}${problems.length > 1 ? ' (and more, see errors)' : ''}.`,
      problems,
      artifact ? 'intent_rules' : 'artifact_unknown',
    );
  }
}
