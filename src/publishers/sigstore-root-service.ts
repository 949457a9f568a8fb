import type { AuditLog } from '../audit/audit-log.js';
import { parseSigstoreTrustedRoot } from '../evidence/signatures/index.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import { canonicalJson, sha256Hex } from '../platform/crypto/canonical-json.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import type { SigstoreRootsTable } from '../platform/db/schema.js';
import {
  BadRequestError,
  ConflictError,
  InvalidDocumentError,
  NotFoundError,
} from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import { quote } from '../platform/text/quote.js';
import { checkTrustedRoot, type TrustedRootSummary } from './trusted-root.js';

/** A stored trusted root as listed: what it is, not the document itself. */
export interface SigstoreRoot {
  id: string;
  name: string;
  media_type: string;
  /** SHA-256 of the RFC 8785 canonical JSON of the document. */
  sha256: string;
  summary: TrustedRootSummary;
  created_by: string;
  created_at: string;
  removed_at: string | null;
  removed_by: string | null;
}

export interface SigstoreRootWithDocument extends SigstoreRoot {
  trusted_root: Record<string, unknown>;
}

function toRoot(row: SigstoreRootsTable): SigstoreRoot {
  return {
    id: row.id,
    name: row.name,
    media_type: row.media_type,
    sha256: row.sha256,
    summary: JSON.parse(row.summary) as TrustedRootSummary,
    created_by: row.created_by,
    created_at: row.created_at,
    removed_at: row.removed_at,
    removed_by: row.removed_by,
  };
}

/** Canonical text of an untrusted document; what canonicalize cannot write is a 400. */
function canonicalText(document: unknown): string {
  try {
    return canonicalJson(document);
  } catch {
    throw new BadRequestError(
      'The trusted root has no canonical JSON form (a number out of range, or nesting too deep).',
      [{ path: '/trusted_root', message: 'not representable as RFC 8785 JSON' }],
      'invalid_trusted_root',
    );
  }
}

/**
 * The Sigstore trusted roots keyless (and keyed) bundles are verified against: data the admin
 * supplies, never fetched. A document is stored in its canonical form with its digest, so the
 * same root uploaded twice is recognised whatever its formatting.
 */
export class SigstoreRootService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(database: Database, clock: Clock, audit: AuditLog) {
    this.#database = database;
    this.#clock = clock;
    this.#audit = audit;
  }

  async add(
    trx: Trx,
    ctx: Context,
    input: { name: string; trusted_root: unknown },
  ): Promise<SigstoreRoot> {
    const checked = checkTrustedRoot(input.trusted_root);
    usableByVerifier(input.trusted_root);
    const document = canonicalText(input.trusted_root);
    const sha256 = sha256Hex(document);
    const existing = await trx
      .selectFrom('sigstore_roots')
      .selectAll()
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    if (existing && existing.removed_at === null) {
      throw new ConflictError(
        `This trusted root is already stored (${existing.id}, ${quote(existing.name)}).`,
        'sigstore_root_exists',
      );
    }
    const row: SigstoreRootsTable = {
      id: existing?.id ?? uuidv7(this.#clock.now().getTime()),
      name: input.name,
      media_type: checked.media_type,
      sha256,
      document,
      summary: canonicalJson(checked.summary),
      created_by: ctx.actorId,
      created_at: this.#clock.now().toISOString(),
      removed_at: null,
      removed_by: null,
    };
    if (existing) {
      // Re-adding a removed root revives its row: the digest stays unique.
      await trx.updateTable('sigstore_roots').set(row).where('id', '=', existing.id).execute();
    } else {
      await trx.insertInto('sigstore_roots').values(row).execute();
    }
    const root = toRoot(row);
    await this.#audit.append(trx, ctx, {
      type: 'sigstore_root.added',
      subject: root.id,
      data: { name: root.name, media_type: root.media_type, sha256, summary: root.summary },
    });
    return root;
  }

  async remove(trx: Trx, ctx: Context, id: string): Promise<SigstoreRoot> {
    const row = await trx
      .selectFrom('sigstore_roots')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.removed_at !== null) throw new NotFoundError('Sigstore root', id);
    const removed = { removed_at: this.#clock.now().toISOString(), removed_by: ctx.actorId };
    await trx.updateTable('sigstore_roots').set(removed).where('id', '=', id).execute();
    await this.#audit.append(trx, ctx, {
      type: 'sigstore_root.removed',
      subject: id,
      data: { name: row.name, sha256: row.sha256 },
    });
    return toRoot({ ...row, ...removed });
  }

  async get(id: string, db: Executor = this.#database.db): Promise<SigstoreRootWithDocument> {
    const row = await db
      .selectFrom('sigstore_roots')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Sigstore root', id);
    return { ...toRoot(row), trusted_root: JSON.parse(row.document) as Record<string, unknown> };
  }

  async list(includeRemoved = false, db: Executor = this.#database.db): Promise<SigstoreRoot[]> {
    let query = db.selectFrom('sigstore_roots').selectAll();
    if (!includeRemoved) query = query.where('removed_at', 'is', null);
    return (await query.orderBy('id', 'asc').execute()).map(toRoot);
  }

  /**
   * The trusted_root.json documents in force, parsed, oldest first: the input of Sigstore
   * bundle verification (each goes to @sigstore/protobuf-specs TrustedRoot.fromJSON).
   */
  async activeRoots(db: Executor = this.#database.db): Promise<Record<string, unknown>[]> {
    const rows = await db
      .selectFrom('sigstore_roots')
      .select('document')
      .where('removed_at', 'is', null)
      .orderBy('id', 'asc')
      .execute();
    return rows.map((r) => JSON.parse(r.document) as Record<string, unknown>);
  }
}

/**
 * The verifier reads stored roots with its own reader and treats one it cannot use as a
 * server fault, so a root is stored only once that reader accepts it too (for instance one
 * naming no certificate authority, which no bundle could ever verify against).
 */
function usableByVerifier(document: unknown): void {
  try {
    parseSigstoreTrustedRoot(document);
  } catch (error) {
    if (!(error instanceof InvalidDocumentError)) throw error;
    throw new BadRequestError(
      error.message,
      [{ path: '/trusted_root', message: error.message }],
      'invalid_trusted_root',
    );
  }
}
