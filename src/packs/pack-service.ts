import type { AssessmentService } from '../assessment/assessment-service.js';
import { isEmbeddedSignatureItem } from '../assessment/evidence-snapshot.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { EvidenceItem } from '../evidence/evidence-store.js';
import type { EvidenceKind } from '../evidence/parse-evidence.js';
import type { Intent } from '../intents/intent-service.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import {
  canonicalDigest,
  canonicalMembers,
  joinCanonicalMembers,
  sha256Hex,
} from '../platform/crypto/canonical-json.js';
import type { SigningKey } from '../platform/crypto/signing-key.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import {
  type BundleCabDecision,
  type BundleVerification,
  type EvidenceBundle,
  verifyBundle,
} from './bundle.js';
import { PACK_GENERATED_EVENT } from './bundle-audit.js';
import { exportBundle } from './bundle-export.js';
import { packStatementText, signPayload } from './dsse.js';
import type { PackBody } from './pack-body.js';
import {
  buildPackBody,
  contentDigestOfMembers,
  documentRef,
  packBlockers,
} from './pack-builder.js';
import { diffPacks, type PackDiff } from './pack-diff.js';
import {
  findPack,
  findPackBody,
  insertPack,
  latestPack,
  listPackIds,
  listPacks,
  type PackListing,
  parseBody,
  type StoredPack,
} from './pack-store.js';

export interface PackView {
  id: string;
  intent_id: string;
  version: string;
  digest: string;
  body: PackBody;
  envelope: StoredPack['envelope'];
}

/** What happens to the CAB side when a new pack version exists (the cab domain's service). */
export interface NewVersionListener {
  supersedeOpen(
    trx: Trx,
    ctx: Context,
    intentId: string,
    pack: { id: string; version: string },
  ): Promise<void>;
}

/** The pack's CAB request and its decision attestation, for the bundle (the cab domain). */
export interface PackDecisions {
  ofPack(packId: string, db?: Executor): Promise<BundleCabDecision | null>;
}

/** What a pack reads of the intake (the evidence domain's service). */
export interface EvidenceLookup {
  kinds(
    intentId: string,
    db?: Executor,
  ): Promise<{ kind: EvidenceKind; artifact_sha256: string }[]>;
  ids(intentId: string, db?: Executor): Promise<string[]>;
}

export interface IntentLocks {
  get(id: string, db?: Executor): Promise<Intent>;
  getForUpdate(trx: Trx, id: string): Promise<Intent>;
  /** The intents domain's ownership rule (403 `not_intent_owner`). */
  assertOwner(ctx: Context, intent: Intent, action: string): void;
}

/** What the 403 names: only the intent's owner freezes it into packs. */
const GENERATE = 'generate its evidence packs';

/** Another generation took the version's key first (see onUniqueViolation): retry. */
export function packVersionTaken(): ConflictError {
  return new ConflictError(
    'Another pack of this intent was generated at the same moment; retry.',
    'pack_version_taken',
  );
}

function sameDecision(a: BundleCabDecision | null, b: BundleCabDecision | null): boolean {
  return a?.request_id === b?.request_id && a?.status === b?.status;
}

function view(pack: StoredPack, body: PackBody): PackView {
  return {
    id: pack.id,
    intent_id: pack.intent_id,
    version: pack.version,
    digest: pack.digest,
    body,
    envelope: pack.envelope,
  };
}

/**
 * The stored body, if it still matches its digest; else the pack was edited behind the app's
 * back. The body is stored as its canonical text and the digest is the SHA-256 of that text,
 * so one hash of the text as read settles it (a text column hands back the characters it was
 * given on both databases). Only when that hash differs is the body canonicalised again, so a
 * store that re-encoded the text without changing its meaning is not called tampered.
 */
function intactBody(id: string, stored: { body_text: string; digest: string }): PackBody {
  let body: unknown;
  try {
    body = JSON.parse(stored.body_text);
  } catch {
    throw tampered(id);
  }
  if (typeof body !== 'object' || body === null) throw tampered(id);
  if (sha256Hex(stored.body_text) !== stored.digest && canonicalDigest(body) !== stored.digest) {
    throw tampered(id);
  }
  return body as PackBody;
}

/** Names the pack, never quotes the edited body: what was served as evidence stays unsaid. */
function tampered(id: string): ConflictError {
  return new ConflictError(
    `Evidence pack ${id} no longer matches its digest: its stored record was changed after it ` +
      `was signed. GET /api/v1/evidence-packs/${id}/verify names what differs.`,
    'pack_tampered',
  );
}

/** Generates, reads, verifies, diffs and exports immutable evidence packs. */
export class PackService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #key: SigningKey;
  readonly #intents: IntentLocks;
  readonly #assessment: AssessmentService;
  readonly #evidence: EvidenceLookup;
  readonly #newVersions: NewVersionListener;
  readonly #decisions: PackDecisions;

  constructor(deps: {
    database: Database;
    clock: Clock;
    audit: AuditLog;
    signingKey: SigningKey;
    intents: IntentLocks;
    assessment: AssessmentService;
    evidence: EvidenceLookup;
    newVersions: NewVersionListener;
    decisions: PackDecisions;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#key = deps.signingKey;
    this.#intents = deps.intents;
    this.#assessment = deps.assessment;
    this.#evidence = deps.evidence;
    this.#newVersions = deps.newVersions;
    this.#decisions = deps.decisions;
  }

  /**
   * The intent's owner check before an Idempotency-Key is claimed (404 for an unknown intent,
   * 403 for anyone but its owner): a refused caller never gets a replay. generate checks it
   * again under the intent's lock.
   */
  async assertMayGenerate(ctx: Context, intentId: string): Promise<void> {
    this.#intents.assertOwner(ctx, await this.#intents.get(intentId), GENERATE);
  }

  /**
   * Freezes the intent's current evidence into the next pack version, in `trx` (the
   * caller's) with its document links and audit event. Only the intent's owner may. The
   * intent row lock (and the unique version) makes concurrent generations queue: never two
   * packs of one version; the loser of a race on the version's key is answered by the
   * transaction's owner with packVersionTaken(). When nothing has changed since the latest
   * pack, that pack is the answer and nothing is written.
   */
  async generate(
    trx: Trx,
    ctx: Context,
    intentId: string,
  ): Promise<{ pack: PackView; created: boolean }> {
    const intent = await this.#intents.getForUpdate(trx, intentId);
    this.#intents.assertOwner(ctx, intent, GENERATE);
    if (intent.status === 'draft') {
      throw new ConflictError(
        `Intent ${intentId} is a draft: attach its evidence first (it becomes ready with its first item).`,
        'intent_not_ready',
      );
    }
    if (['approved', 'denied', 'superseded'].includes(intent.status)) {
      throw new ConflictError(
        `Intent ${intentId} is ${intent.status}: no new pack can be generated.`,
        'intent_closed',
      );
    }
    const [assessment, items, previous] = await Promise.all([
      this.#assessment.assess(intentId, { db: trx }),
      this.#evidence.kinds(intentId, trx),
      latestPack(trx, intentId),
    ]);
    const blockers = packBlockers(assessment, items);
    if (blockers.length > 0) {
      throw new UnprocessableError(
        `No evidence pack can be generated for intent ${intentId}: ${blockers.map((b) => b.message).join('; ')}.`,
        blockers,
        'pack_blocked',
      );
    }
    const body = buildPackBody(assessment, {
      version: previous ? `1.${previous.minor + 1}` : '1.0',
      previous_version: previous?.version ?? null,
      previous_pack_id: previous?.id ?? null,
      created_at: assessment.snapshot.as_of,
      created_by: ctx.actorId,
    });
    // One canonicalization of the body serves the content digest, the digest and the payload.
    const members = canonicalMembers(body);
    const facts = contentDigestOfMembers(body, members);
    if (previous && previous.content_digest === facts) {
      return { pack: view(previous, intactBody(previous.id, previous)), created: false };
    }
    const bodyText = joinCanonicalMembers(members);
    const pack: StoredPack = {
      id: uuidv7(this.#clock.now().getTime()),
      intent_id: intentId,
      version: body.version,
      minor: previous ? previous.minor + 1 : 0,
      previous_pack_id: body.previous_pack_id,
      artifact_sha256: body.artifact_sha256,
      digest: sha256Hex(bodyText),
      content_digest: facts,
      body_text: bodyText,
      envelope: signPayload(packStatementText(body, bodyText), this.#key),
      created_by: ctx.actorId,
      created_at: body.created_at,
    };
    const snapshot = assessment.snapshot;
    const linked = [
      snapshot.sbom,
      snapshot.vuln_scan,
      snapshot.signature,
      snapshot.lab,
      snapshot.ring0,
      ...snapshot.vex,
    ]
      // The artifact's own signature material is a blob, not an evidence item: the body
      // names it (and the bundle carries it), but there is no evidence row to link.
      .filter((item): item is EvidenceItem => item !== null && !isEmbeddedSignatureItem(item))
      .map((item) => documentRef(item));
    await insertPack(
      trx,
      pack,
      body,
      linked.map((d) => ({ evidence_id: d.evidence_id, sha256: d.sha256, kind: d.kind })),
    );
    await this.#audit.append(trx, ctx, {
      type: PACK_GENERATED_EVENT,
      subject: pack.id,
      data: {
        intent_id: intentId,
        version: pack.version,
        digest: pack.digest,
        previous_version: body.previous_version,
        policy_approved: body.policy_approved,
        risk_score: body.risk.score,
        risk_model_version: body.risk.model_version,
        exception_ids: body.exception_records.map((e) => e.id),
      },
    });
    // A new version closes the intent's open CAB request: votes never carry over.
    await this.#newVersions.supersedeOpen(trx, ctx, intentId, {
      id: pack.id,
      version: pack.version,
    });
    // The body is at hand: view(pack) would parse body_text only to be replaced by it.
    const { id, version, digest, envelope } = pack;
    return { pack: { id, intent_id: intentId, version, digest, body, envelope }, created: true };
  }

  async get(id: string, db: Executor = this.#database.db): Promise<PackView> {
    const { pack, body } = await this.#intact(id, db);
    return view(pack, body);
  }

  /** A pack's body without its envelope: half the bytes read (the CAB request detail). */
  async body(id: string, db: Executor = this.#database.db): Promise<PackBody> {
    const stored = await findPackBody(db, id);
    if (!stored) throw new NotFoundError('Evidence pack', id);
    return intactBody(id, stored);
  }

  /** The id of the intent's latest pack version, or null before the first. */
  async latestId(intentId: string, db: Executor = this.#database.db): Promise<string | null> {
    return (await latestPack(db, intentId))?.id ?? null;
  }

  async list(intentId: string): Promise<PackListing[]> {
    await this.#intents.get(intentId);
    return listPacks(this.#database.db, intentId);
  }

  /** Diff against another pack of the same intent (by default the previous version). */
  async diff(id: string, againstId?: string): Promise<PackDiff> {
    const { pack: after, body: afterBody } = await this.#intact(id);
    const beforeId = againstId ?? after.previous_pack_id;
    if (!beforeId) {
      throw new UnprocessableError(
        `Pack ${id} is version ${after.version}, the first: name one to compare with (?against=).`,
        [],
        'no_previous_version',
      );
    }
    const { pack: before, body: beforeBody } = await this.#intact(beforeId);
    if (before.intent_id !== after.intent_id) {
      throw new UnprocessableError(
        'Both packs must belong to the same intent.',
        [],
        'different_intents',
      );
    }
    return diffPacks(beforeBody, afterBody);
  }

  /** The offline bundle of an intact pack (an edited one is refused: see intactBody). */
  async bundle(id: string): Promise<EvidenceBundle> {
    const { pack, body } = await this.#intact(id);
    return this.#export(pack, body);
  }

  async #export(pack: StoredPack, body: PackBody): Promise<EvidenceBundle> {
    const db = this.#database.db;
    const subjects = [
      pack.intent_id,
      pack.artifact_sha256,
      ...(await this.#evidence.ids(pack.intent_id, db)),
      ...(await listPackIds(db, pack.intent_id)),
      ...body.exception_records.map((e) => e.id),
    ];
    // The request and the audit excerpt are read apart: a submission or decision in between
    // would leave a bundle that contradicts itself (an approval in the chain, none in
    // cab_decision), so the request is read again after the export and the export redone if
    // it moved. It moves at most twice (submitted, then decided: final), so the third stands.
    for (let attempt = 1; ; attempt += 1) {
      const cabDecision = await this.#decisions.ofPack(pack.id, db);
      const bundle = await exportBundle({
        db,
        audit: this.#audit,
        clock: this.#clock,
        signingKey: this.#key,
        pack,
        body,
        // The request's votes, decision and conditions ship unredacted.
        openSubjects: new Set(cabDecision ? [...subjects, cabDecision.request_id] : subjects),
        cabDecision,
      });
      const after = await this.#decisions.ofPack(pack.id, db);
      if (attempt === 3 || sameDecision(cabDecision, after)) return bundle;
    }
  }

  /**
   * Re-checks a stored pack as an auditor would offline: its digest, its signature under this
   * server's key, every referenced document's bytes, and the audit chain around it.
   */
  async verify(id: string): Promise<BundleVerification> {
    // Not through bundle(): an edited pack is what this is for, and it must get its report.
    const pack = await this.#stored(id);
    const bundle = await this.#export(pack, parseBody(pack));
    return verifyBundle(bundle, {
      trustedKeys: [{ key_id: this.#key.keyId, pem: this.#key.publicKeyPem }],
    });
  }

  async #stored(id: string, db: Executor = this.#database.db): Promise<StoredPack> {
    const pack = await findPack(db, id);
    if (!pack) throw new NotFoundError('Evidence pack', id);
    return pack;
  }

  async #intact(
    id: string,
    db: Executor = this.#database.db,
  ): Promise<{ pack: StoredPack; body: PackBody }> {
    const pack = await this.#stored(id, db);
    return { pack, body: intactBody(id, pack) };
  }
}
