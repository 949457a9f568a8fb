import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import { canonicalJson } from '../platform/crypto/canonical-json.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { LOCKS, lockForTransaction } from '../platform/db/database.js';
import type { ApprovalPoliciesTable } from '../platform/db/schema.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { compareVersions } from '../risk/risk-registry.js';
import type { ApprovalPolicy, ApprovalPolicyConfig } from './approval-policy.js';

function toPolicy(row: ApprovalPoliciesTable): ApprovalPolicy {
  const config = JSON.parse(row.config) as ApprovalPolicyConfig;
  return {
    version: row.version,
    bands: config.bands,
    emergency: config.emergency,
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

/** Versioned approval policies: the newest is in force for requests submitted from then on. */
export class ApprovalPolicyService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(database: Database, clock: Clock, audit: AuditLog) {
    this.#database = database;
    this.#clock = clock;
    this.#audit = audit;
  }

  async list(db: Executor = this.#database.db): Promise<ApprovalPolicy[]> {
    const rows = await db.selectFrom('approval_policies').selectAll().orderBy('seq').execute();
    return rows.map(toPolicy);
  }

  async get(version: string, db: Executor = this.#database.db): Promise<ApprovalPolicy> {
    const row = await db
      .selectFrom('approval_policies')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Approval policy', version);
    return toPolicy(row);
  }

  async current(db: Executor = this.#database.db): Promise<ApprovalPolicy> {
    const row = await db
      .selectFrom('approval_policies')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return toPolicy(row);
  }

  /** Puts a new version in force; it must be newer than every version before it. */
  async add(
    trx: Trx,
    ctx: Context,
    input: ApprovalPolicyConfig & { version: string },
  ): Promise<ApprovalPolicy> {
    await lockForTransaction(this.#database.dialect, trx, LOCKS.approvalPolicies);
    const latest = await trx
      .selectFrom('approval_policies')
      .select(['version', 'seq'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    if (compareVersions(input.version, latest.version) <= 0) {
      throw new ConflictError(
        `Approval policy ${input.version} is not newer than ${latest.version}, the version in force: versions only go forward.`,
        'version_not_newer',
      );
    }
    const policy: ApprovalPolicy = {
      version: input.version,
      bands: input.bands,
      emergency: input.emergency,
      created_by: ctx.actorId,
      created_at: this.#clock.now().toISOString(),
    };
    await trx
      .insertInto('approval_policies')
      .values({
        version: policy.version,
        seq: Number(latest.seq) + 1,
        config: canonicalJson({ bands: policy.bands, emergency: policy.emergency }),
        created_by: policy.created_by,
        created_at: policy.created_at,
      })
      .execute();
    await this.#audit.append(trx, ctx, {
      type: 'approval_policy.added',
      subject: policy.version,
      data: { previous_version: latest.version, bands: policy.bands, emergency: policy.emergency },
    });
    return policy;
  }
}
