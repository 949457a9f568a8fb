import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import { putBlob, putBlobFromFile, readBlobChunks } from '../blobs/blob-store.js';
import {
  readToBuffer,
  type StagedFile,
  stageToFile,
  type UploadSource,
} from '../blobs/upload-staging.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { InvalidDocumentError, NotFoundError } from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import type { TrustAnchorService } from '../trust-anchors/trust-anchor-service.js';
import {
  type EvidenceItem,
  findEvidence,
  insertEvidence,
  listEvidence,
  listEvidenceIds,
  listEvidenceKinds,
} from './evidence-store.js';
import {
  checkParseOptions,
  type EvidenceKind,
  type ParsedEvidence,
  type ParseOptions,
} from './parse-evidence.js';
import type { ParsePool } from './parse-pool.js';
import {
  parseSignatureUpload,
  verifyDetachedSignature,
  verifySigstoreBundle,
} from './signatures/index.js';

export type { EvidenceItem } from './evidence-store.js';

interface IntentFacts {
  id: string;
  status: string;
  artifact_sha256: string;
  created_by: string;
}

/** What the 403 names: only the intent's owner attaches evidence to it. */
const ATTACH = 'attach evidence to it';

type ReceivedBody = { staged: StagedFile; bytes?: never } | { staged?: never; bytes: Buffer };

/** A document read and parsed outside any transaction, waiting for EvidenceService.store. */
export interface ReceivedEvidence {
  readonly intentId: string;
  readonly kind: EvidenceKind;
  readonly body: ReceivedBody;
  readonly parsed: ParsedEvidence;
  /** Removes the staging file, if the body was staged: call it once the store is over. */
  discard(): Promise<void>;
}

/** What intake needs of an intent; the intents domain provides it. */
export interface IntentGateway {
  get(id: string): Promise<IntentFacts>;
  getForUpdate(trx: Trx, id: string): Promise<IntentFacts>;
  assertAcceptsEvidence(intent: { id: string; status: string }): void;
  /** The intents domain's ownership rule (403 `not_intent_owner`). */
  assertOwner(ctx: Context, intent: { id: string; created_by: string }, action: string): void;
  markReadyIfComplete(trx: Trx, ctx: Context, intentId: string): Promise<void>;
}

/**
 * Bodies this large, of unknown length or compressed, go to a staging file instead of memory
 * and are parsed from it, so the streaming SBOM parser never holds the whole document.
 */
export const STAGED_DOCUMENT_BYTES = 16 * 1024 * 1024;

/** Big arrays stay on the item itself; lists carry the counts. */
const BULKY_SUMMARY_KEYS = new Set(['components', 'findings', 'statements', 'cases']);

export function briefSummary(summary: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(summary).filter(([key]) => !BULKY_SUMMARY_KEYS.has(key)),
  );
}

async function storeStaged(trx: Trx, staged: StagedFile, at: string) {
  await putBlobFromFile(trx, staged, at);
  return { sha256: staged.sha256, size: staged.size };
}

/** The Sigstore trusted roots an admin configured (src/publishers), for keyless bundles. */
export interface SigstoreRootsGateway {
  activeRoots(): Promise<unknown[]>;
}

export class EvidenceService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #intents: IntentGateway;
  readonly #trustAnchors: TrustAnchorService;
  readonly #sigstoreRoots: SigstoreRootsGateway;
  readonly #maxUploadBytes: number;
  readonly #parsePool: ParsePool;
  readonly #stagingDir: string;

  constructor(deps: {
    database: Database;
    clock: Clock;
    audit: AuditLog;
    intents: IntentGateway;
    trustAnchors: TrustAnchorService;
    sigstoreRoots: SigstoreRootsGateway;
    maxUploadBytes: number;
    parsePool: ParsePool;
    dataDir: string;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#intents = deps.intents;
    this.#trustAnchors = deps.trustAnchors;
    this.#sigstoreRoots = deps.sigstoreRoots;
    this.#maxUploadBytes = deps.maxUploadBytes;
    this.#parsePool = deps.parsePool;
    this.#stagingDir = join(deps.dataDir, 'staging');
  }

  /**
   * The intent's owner check, before a byte of the body is read (and before an
   * Idempotency-Key is claimed): 404 for an unknown intent, 403 for anyone but its owner.
   * store checks it again under the intent's lock.
   */
  async assertMayAttach(ctx: Context, intentId: string): Promise<void> {
    this.#intents.assertOwner(ctx, await this.#intents.get(intentId), ATTACH);
  }

  /**
   * The part of accepting a document outside any transaction: refuses early (unknown
   * intent, closed intent, bad options) before reading the body, then reads and parses it.
   * The caller then stores it with `store` in its transaction and, whatever happened,
   * calls `discard()` on the result.
   */
  async receive(
    intentId: string,
    kind: EvidenceKind,
    source: UploadSource,
    options: ParseOptions,
  ): Promise<ReceivedEvidence> {
    checkParseOptions(kind, options);
    const intent = await this.#intents.get(intentId);
    this.#intents.assertAcceptsEvidence(intent);
    const body = await this.#receive(source);
    const discard = async () => {
      await body.staged?.discard();
    };
    try {
      const parsed =
        kind === 'signature'
          ? await this.#verifySignature(
              body.staged ? await readFile(body.staged.path) : body.bytes,
              intent.artifact_sha256,
              options,
            )
          : await this.#parsePool.parse(
              kind,
              body.staged ? { path: body.staged.path, size: body.staged.size } : body.bytes,
              options,
            );
      return { intentId, kind, body, parsed, discard };
    } catch (error) {
      await discard();
      throw error;
    }
  }

  /** Small bodies of a declared length are read into memory; the rest are staged to a file. */
  async #receive(source: UploadSource): Promise<ReceivedBody> {
    // A compressed body's decoded size is unknown until it has been inflated.
    const identity = (source.contentEncoding ?? 'identity').trim().toLowerCase() === 'identity';
    const small =
      identity &&
      source.contentLength !== undefined &&
      source.contentLength < STAGED_DOCUMENT_BYTES;
    return small
      ? { bytes: await readToBuffer(source, this.#maxUploadBytes) }
      : { staged: await stageToFile(source, this.#maxUploadBytes, this.#stagingDir) };
  }

  /**
   * Stores a received document in `trx`: the verbatim blob, the item, its audit event and
   * the intent's move to ready, with the intent locked and checked again (its owner, and
   * that it still accepts evidence).
   */
  async store(trx: Trx, ctx: Context, received: ReceivedEvidence): Promise<EvidenceItem> {
    const { intentId, kind, body, parsed } = received;
    const current = await this.#intents.getForUpdate(trx, intentId);
    this.#intents.assertOwner(ctx, current, ATTACH);
    this.#intents.assertAcceptsEvidence(current);
    const now = this.#clock.now();
    const at = now.toISOString();
    const blob = body.staged
      ? await storeStaged(trx, body.staged, at)
      : await putBlob(trx, body.bytes, at);
    const item: EvidenceItem = {
      id: uuidv7(now.getTime()),
      intent_id: intentId,
      kind,
      format: parsed.format,
      spec_version: parsed.spec_version,
      stage: parsed.stage,
      artifact_sha256: current.artifact_sha256,
      sha256: blob.sha256,
      size_bytes: blob.size,
      summary: parsed.summary as Record<string, unknown>,
      warnings: parsed.warnings,
      created_by: ctx.actorId,
      created_at: at,
    };
    await insertEvidence(trx, item, parsed.summaryJson);
    await this.#audit.append(trx, ctx, {
      type: 'evidence.added',
      subject: item.id,
      data: {
        intent_id: intentId,
        kind,
        format: item.format,
        spec_version: item.spec_version,
        stage: item.stage,
        sha256: item.sha256,
        size_bytes: item.size_bytes,
        warning_count: item.warnings.length,
      },
    });
    await this.#intents.markReadyIfComplete(trx, ctx, intentId);
    return item;
  }

  async list(intentId: string, kind?: EvidenceKind): Promise<EvidenceItem[]> {
    await this.#intents.get(intentId);
    return listEvidence(this.#database.db, intentId, kind);
  }

  /** Every item of the intent, oldest first, for other domains (no existence check). */
  items(intentId: string, db: Executor = this.#database.db): Promise<EvidenceItem[]> {
    return listEvidence(db, intentId);
  }

  /** The kind and artifact of each item of the intent (what pack generation asks). */
  kinds(intentId: string, db: Executor = this.#database.db) {
    return listEvidenceKinds(db, intentId);
  }

  /** Ids of the intent's items (what a bundle opens in the audit chain). */
  ids(intentId: string, db: Executor = this.#database.db): Promise<string[]> {
    return listEvidenceIds(db, intentId);
  }

  async get(id: string): Promise<EvidenceItem> {
    const item = await findEvidence(this.#database.db, id);
    if (!item) throw new NotFoundError('Evidence item', id);
    return item;
  }

  async raw(id: string): Promise<{ item: EvidenceItem; chunks: AsyncGenerator<Buffer> }> {
    const item = await this.get(id);
    return { item, chunks: readBlobChunks(this.#database.db, item.sha256) };
  }

  async #verifySignature(
    bytes: Uint8Array,
    artifactSha256: string,
    options: ParseOptions,
  ): Promise<ParsedEvidence> {
    const upload = parseSignatureUpload(bytes);
    const format = upload.type === 'sigstore' ? 'sigstore' : 'x509';
    if (options.format !== undefined && options.format !== format) {
      throw new InvalidDocumentError(
        `format=${options.format} was given but the upload is ${format === 'sigstore' ? 'a Sigstore bundle' : 'a detached X.509 signature'}.`,
        [{ path: 'querystring:/format', message: `the upload is ${format}` }],
        'format_mismatch',
      );
    }
    const trustAnchors = await this.#trustAnchors.activePems();
    const at = this.#clock.now();
    const summary =
      upload.type === 'sigstore'
        ? verifySigstoreBundle({
            artifactSha256,
            bundle: upload.bundle,
            trustAnchors,
            trustedRoots: await this.#sigstoreRoots.activeRoots(),
            at,
          })
        : verifyDetachedSignature({
            artifactSha256,
            signature: upload.signature,
            certificateChain: upload.certificate_chain,
            trustAnchors,
            at,
          });
    return { format, spec_version: null, stage: null, summary, warnings: [] };
  }
}
