import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import { canonicalJson } from '../platform/crypto/canonical-json.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { LOCKS, lockForTransaction } from '../platform/db/database.js';
import type { PolicySetsTable } from '../platform/db/schema.js';
import { NotFoundError } from '../platform/errors.js';
import { nextPolicyVersion, type PolicyConfig, type PolicySet } from './policy-set.js';

function toPolicySet(row: PolicySetsTable): PolicySet {
  return {
    version: row.version,
    description: row.description,
    config: JSON.parse(row.config) as PolicyConfig,
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

/** Versioned policy sets: the newest is the one in force; none is ever edited. */
export class PolicySetService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(database: Database, clock: Clock, audit: AuditLog) {
    this.#database = database;
    this.#clock = clock;
    this.#audit = audit;
  }

  async list(db: Executor = this.#database.db): Promise<PolicySet[]> {
    const rows = await db.selectFrom('policy_sets').selectAll().orderBy('seq', 'asc').execute();
    return rows.map(toPolicySet);
  }

  async get(version: string, db: Executor = this.#database.db): Promise<PolicySet> {
    const row = await db
      .selectFrom('policy_sets')
      .selectAll()
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Policy set', version);
    return toPolicySet(row);
  }

  async current(db: Executor = this.#database.db): Promise<PolicySet> {
    const row = await db
      .selectFrom('policy_sets')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return toPolicySet(row);
  }

  /** Adds the next version; concurrent additions queue on a lock so versions never collide. */
  async add(
    trx: Trx,
    ctx: Context,
    input: { description: string; config: PolicyConfig },
  ): Promise<PolicySet> {
    await lockForTransaction(this.#database.dialect, trx, LOCKS.policySets);
    const latest = await trx
      .selectFrom('policy_sets')
      .select(['version', 'seq'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const set: PolicySet = {
      version: nextPolicyVersion(latest.version),
      description: input.description,
      config: input.config,
      created_by: ctx.actorId,
      created_at: this.#clock.now().toISOString(),
    };
    await trx
      .insertInto('policy_sets')
      .values({
        version: set.version,
        seq: Number(latest.seq) + 1,
        description: set.description,
        config: canonicalJson(set.config),
        created_by: set.created_by,
        created_at: set.created_at,
      })
      .execute();
    await this.#audit.append(trx, ctx, {
      type: 'policy_set.added',
      subject: set.version,
      data: { previous_version: latest.version, description: set.description, config: set.config },
    });
    return set;
  }
}
