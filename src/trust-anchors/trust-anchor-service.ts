import type { AuditLog } from '../audit/audit-log.js';
import { describeTrustAnchor } from '../evidence/signatures/index.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import type { TrustAnchorsTable } from '../platform/db/schema.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';

export type TrustAnchor = TrustAnchorsTable;

/** The roots (or intermediates) an admin trusts for code signing. */
export class TrustAnchorService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(database: Database, clock: Clock, audit: AuditLog) {
    this.#database = database;
    this.#clock = clock;
    this.#audit = audit;
  }

  async add(trx: Trx, ctx: Context, input: { name: string; pem: string }): Promise<TrustAnchor> {
    const described = describeTrustAnchor(input.pem);
    const existing = await trx
      .selectFrom('trust_anchors')
      .selectAll()
      .where('fingerprint_sha256', '=', described.sha256_fingerprint)
      .executeTakeFirst();
    if (existing && existing.removed_at === null) {
      throw new ConflictError(
        `This certificate is already a trust anchor (${existing.id}, "${existing.name}").`,
        'trust_anchor_exists',
      );
    }
    const now = this.#clock.now();
    const anchor: TrustAnchor = {
      id: uuidv7(now.getTime()),
      name: input.name,
      subject: described.subject,
      fingerprint_sha256: described.sha256_fingerprint,
      pem: input.pem.trim(),
      not_before: described.not_before,
      not_after: described.not_after,
      created_by: ctx.actorId,
      created_at: now.toISOString(),
      removed_at: null,
      removed_by: null,
    };
    if (existing) {
      // Re-adding a removed anchor revives its row: the fingerprint stays unique.
      await trx
        .updateTable('trust_anchors')
        .set({ ...anchor, id: existing.id })
        .where('id', '=', existing.id)
        .execute();
      anchor.id = existing.id;
    } else {
      await trx.insertInto('trust_anchors').values(anchor).execute();
    }
    await this.#audit.append(trx, ctx, {
      type: 'trust_anchor.added',
      subject: anchor.id,
      data: {
        name: anchor.name,
        subject: anchor.subject,
        fingerprint_sha256: anchor.fingerprint_sha256,
      },
    });
    return anchor;
  }

  async remove(trx: Trx, ctx: Context, id: string): Promise<TrustAnchor> {
    const anchor = await trx
      .selectFrom('trust_anchors')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!anchor || anchor.removed_at !== null) throw new NotFoundError('Trust anchor', id);
    const removed = {
      ...anchor,
      removed_at: this.#clock.now().toISOString(),
      removed_by: ctx.actorId,
    };
    await trx
      .updateTable('trust_anchors')
      .set({ removed_at: removed.removed_at, removed_by: removed.removed_by })
      .where('id', '=', id)
      .execute();
    await this.#audit.append(trx, ctx, {
      type: 'trust_anchor.removed',
      subject: id,
      data: { name: anchor.name, fingerprint_sha256: anchor.fingerprint_sha256 },
    });
    return removed;
  }

  async list(includeRemoved = false, db: Executor = this.#database.db): Promise<TrustAnchor[]> {
    let query = db.selectFrom('trust_anchors').selectAll();
    if (!includeRemoved) query = query.where('removed_at', 'is', null);
    return query.orderBy('id', 'asc').execute();
  }

  /** PEMs of the anchors in force, for signature verification. */
  async activePems(db: Executor = this.#database.db): Promise<string[]> {
    return (await this.list(false, db)).map((a) => a.pem);
  }
}
