import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import { quote } from '../platform/text/quote.js';
import { checkPublisherFields, type PublisherFields } from './publisher-input.js';
import type { PublisherRule } from './publisher-match.js';
import type { TrustedPublisher } from './publisher-store.js';
import * as store from './publisher-store.js';

export type PublisherPatch = Partial<PublisherFields>;

/** What an audit event records of a publisher: the whole rule at that revision. */
const auditData = (p: TrustedPublisher) => ({
  name: p.name,
  x509_subject: p.x509_subject,
  sigstore_identity: p.sigstore_identity,
  revision: p.revision,
});

export const publisherNameTaken = (name: string) =>
  new ConflictError(
    `A trusted publisher named ${quote(name)} is already in force (names compare without case).`,
    'publisher_exists',
  );

/**
 * The publishers "signed by a trusted publisher" accepts. Each change is a new revision of
 * the record, guarded by the revision the admin read, and an audit event carrying the whole
 * rule; removal keeps the record so packs that name it can still be read back.
 */
export class TrustedPublisherService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(database: Database, clock: Clock, audit: AuditLog) {
    this.#database = database;
    this.#clock = clock;
    this.#audit = audit;
  }

  async add(trx: Trx, ctx: Context, input: PublisherPatch & { name: string }) {
    const fields: PublisherFields = {
      name: input.name,
      x509_subject: input.x509_subject ?? null,
      sigstore_identity: input.sigstore_identity ?? null,
    };
    checkPublisherFields(fields);
    if (await store.findInForceByName(trx, fields.name)) throw publisherNameTaken(fields.name);
    const now = this.#clock.now();
    const publisher: TrustedPublisher = {
      id: uuidv7(now.getTime()),
      ...fields,
      revision: 1,
      created_by: ctx.actorId,
      created_at: now.toISOString(),
      updated_by: ctx.actorId,
      updated_at: now.toISOString(),
      removed_at: null,
      removed_by: null,
    };
    await store.insertPublisher(trx, publisher);
    await this.#audit.append(trx, ctx, {
      type: 'trusted_publisher.added',
      subject: publisher.id,
      data: auditData(publisher),
    });
    return publisher;
  }

  /** Applies a partial change; `null` clears a field (one way to match must remain). */
  async update(
    trx: Trx,
    ctx: Context,
    id: string,
    patch: PublisherPatch,
    expectedRevision?: number,
  ): Promise<TrustedPublisher> {
    const before = await this.#inForceForUpdate(trx, id, expectedRevision);
    const fields: PublisherFields = {
      name: patch.name ?? before.name,
      x509_subject: patch.x509_subject === undefined ? before.x509_subject : patch.x509_subject,
      sigstore_identity:
        patch.sigstore_identity === undefined ? before.sigstore_identity : patch.sigstore_identity,
    };
    checkPublisherFields(fields);
    const same =
      fields.name === before.name &&
      fields.x509_subject === before.x509_subject &&
      JSON.stringify(fields.sigstore_identity) === JSON.stringify(before.sigstore_identity);
    // Saying what is already true changes nothing: no new revision, no event.
    if (same) return before;
    if (store.nameKey(fields.name) !== store.nameKey(before.name)) {
      if (await store.findInForceByName(trx, fields.name)) throw publisherNameTaken(fields.name);
    }
    const now = this.#clock.now().toISOString();
    const after: TrustedPublisher = {
      ...before,
      ...fields,
      revision: before.revision + 1,
      updated_by: ctx.actorId,
      updated_at: now,
    };
    await store.updatePublisher(trx, after, before.revision);
    await this.#audit.append(trx, ctx, {
      type: 'trusted_publisher.updated',
      subject: id,
      data: { ...auditData(after), previous: auditData(before) },
    });
    return after;
  }

  /** Stops trusting the publisher; its record stays, at a new revision. */
  async remove(
    trx: Trx,
    ctx: Context,
    id: string,
    expectedRevision?: number,
  ): Promise<TrustedPublisher> {
    const before = await this.#inForceForUpdate(trx, id, expectedRevision);
    const now = this.#clock.now().toISOString();
    const after: TrustedPublisher = {
      ...before,
      revision: before.revision + 1,
      updated_by: ctx.actorId,
      updated_at: now,
      removed_at: now,
      removed_by: ctx.actorId,
    };
    await store.updatePublisher(trx, after, before.revision);
    await this.#audit.append(trx, ctx, {
      type: 'trusted_publisher.removed',
      subject: id,
      data: auditData(after),
    });
    return after;
  }

  async get(id: string, db: Executor = this.#database.db): Promise<TrustedPublisher> {
    const found = await store.findPublisher(db, id);
    if (!found) throw new NotFoundError('Trusted publisher', id);
    return found;
  }

  async list(includeRemoved = false, db: Executor = this.#database.db) {
    return store.listPublishers(db, includeRemoved);
  }

  /** The rules in force, oldest first: what the policy engine matches signatures against. */
  async inForce(db: Executor = this.#database.db): Promise<PublisherRule[]> {
    return (await store.listPublishers(db, false)).map((p) => ({
      id: p.id,
      name: p.name,
      revision: p.revision,
      x509_subject: p.x509_subject,
      sigstore_identity: p.sigstore_identity,
    }));
  }

  async #inForceForUpdate(trx: Trx, id: string, expectedRevision: number | undefined) {
    const before = await store.findPublisher(trx, id, this.#database.dialect);
    if (!before || before.removed_at !== null) throw new NotFoundError('Trusted publisher', id);
    if (expectedRevision !== undefined && expectedRevision !== before.revision) {
      throw new ConflictError(
        `Trusted publisher ${id} is at revision ${before.revision}, not ${expectedRevision}: reload it and apply the change again.`,
        'revision_mismatch',
      );
    }
    return before;
  }
}
