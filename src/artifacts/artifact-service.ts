import type { AuditLog } from '../audit/audit-log.js';
import {
  discardUpload,
  type LeftoverReporter,
  readUploadParts,
  warnLeftover,
} from '../blobs/blob-parts.js';
import { putBlob, readBlob, readBlobChunks, recordUploadedBlob } from '../blobs/blob-store.js';
import type { UploadSource } from '../blobs/upload-body.js';
import { type UploadedParts, uploadToParts } from '../blobs/upload-to-parts.js';
import type { SignatureSummary } from '../evidence/signatures/index.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import { canonicalJson } from '../platform/crypto/canonical-json.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { WAL_TRUNCATE_ABOVE_BYTES } from '../platform/db/sqlite-checkpointer.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import {
  type Artifact,
  findArtifact,
  insertArtifact,
  markContentStored,
} from './artifact-store.js';
import {
  createSignatureScan,
  type EmbeddedSignature,
  judgeScannedFile,
  rejudgeMaterial,
  type SignatureMaterial,
} from './embedded-signature.js';
import { PeHashWorker } from './pe-hash-offload.js';

export type { Artifact } from './artifact-store.js';

export interface ArtifactMetadata {
  publisher: string;
  filename: string;
  build_time?: string | undefined;
}

export interface ArtifactResult {
  artifact: Artifact;
  /** False when the same artifact was already known: the answer is 200, not 201. */
  created: boolean;
}

/** An upload's parts, received outside any transaction and not yet (or no longer) a blob. */
export interface ReceivedUpload {
  readonly parts: UploadedParts;
  /** The embedded (Authenticode) signature the bytes carried, judged as they arrived. */
  readonly embedded: {
    signature: Omit<EmbeddedSignature, 'material_sha256'>;
    material: SignatureMaterial | null;
  } | null;
  /** Set by store: whether its transaction made these parts the blob. */
  blobStored: boolean;
}

/** The trust anchors in force (src/trust-anchors), for embedded signatures. */
export interface TrustAnchorsGateway {
  activePems(db?: Executor): Promise<string[]>;
}

/** An artifact's embedded signature judged again, at an assessment's instant. */
export interface EmbeddedJudgement {
  /** The summary of a valid signature, as signature evidence carries it; else null. */
  summary: SignatureSummary | null;
  /** Why it does not count, when summary is null. */
  problem: string | null;
  /** The stored material the judgement rests on (a blob): what a pack refers to. */
  material: { sha256: string; size_bytes: number } | null;
  recorded_at: string;
}

/** A register that lost the race for its digest's key: the client retries (409). */
export function artifactRecordedConcurrently(sha256: string): ConflictError {
  return new ConflictError(
    `Artifact ${sha256} was recorded concurrently; retry.`,
    'artifact_exists',
  );
}

export class ArtifactService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #maxUploadBytes: number;
  readonly #reportLeftover: LeftoverReporter;
  readonly #trustAnchors: TrustAnchorsGateway;
  readonly #peHashing = new PeHashWorker();

  constructor(deps: {
    database: Database;
    clock: Clock;
    audit: AuditLog;
    trustAnchors: TrustAnchorsGateway;
    maxUploadBytes: number;
    /** Where uploads that could not be cleaned up are reported (default: a process warning). */
    reportLeftover?: LeftoverReporter;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#maxUploadBytes = deps.maxUploadBytes;
    this.#reportLeftover = deps.reportLeftover ?? warnLeftover;
    this.#trustAnchors = deps.trustAnchors;
  }

  /**
   * The part of an upload outside any transaction: streams the bytes into the database's
   * part table as they arrive (hashing on the way, never buffering the whole, no
   * transaction open). Then `store` makes them a blob, in the caller's transaction, and
   * `release` drops the parts unless that transaction committed them as the blob.
   */
  async receive(source: UploadSource): Promise<ReceivedUpload> {
    const db = this.#database.db;
    // A PE or MSI is digested the Authenticode way in the same pass as the SHA-256.
    const scan = createSignatureScan({
      offload: this.#peHashing,
      expectedSize: source.contentLength,
    });
    let parts: UploadedParts;
    try {
      parts = await uploadToParts(
        db,
        source,
        this.#maxUploadBytes,
        this.#clock.now().toISOString(),
        this.#reportLeftover,
        (chunk) => scan.observe(chunk),
      );
    } catch (error) {
      scan.abort();
      throw error;
    }
    try {
      // Judged here, outside any transaction: the PKCS#7 and chain checks hold no lock.
      const now = this.#clock.now();
      const scanned = await scan.finish(parts.size, () =>
        readUploadParts(db, parts.uploadId, parts.partCount),
      );
      const judged = await judgeScannedFile(scanned, await this.#trustAnchors.activePems(), now);
      const embedded = judged && {
        signature: {
          format: judged.report.format,
          report: judged.report,
          verified_at: now.toISOString(),
        },
        material: judged.material,
      };
      return { parts, embedded, blobStored: false };
    } catch (error) {
      await discardUpload(db, parts.uploadId, this.#reportLeftover);
      throw error;
    }
  }

  /**
   * Records a received upload: the blob, the artifact and its audit event, in `trx`. Two
   * uploads (or an upload and a register) of the same digest at once: the second to commit
   * fails on a key, and its owner runs the transaction once more (onUniqueViolation
   * 'retry'): it then sees the first one's rows and answers as for any known artifact.
   */
  async store(
    trx: Trx,
    ctx: Context,
    upload: ReceivedUpload,
    meta: ArtifactMetadata,
  ): Promise<ArtifactResult> {
    upload.blobStored = false;
    const { result, blobStored } = await this.#record(trx, ctx, upload, meta);
    upload.blobStored = blobStored;
    return result;
  }

  /**
   * After the upload's transaction: whatever failed, or when the same bytes were stored
   * before (the record went in without these parts, which no blob names and no upload can
   * claim any more), the parts go.
   */
  async release(upload: ReceivedUpload, committed: boolean): Promise<void> {
    if (!(committed && upload.blobStored)) {
      await discardUpload(this.#database.db, upload.parts.uploadId, this.#reportLeftover);
    }
    this.#afterWrite(upload.parts.size);
  }

  /**
   * An upload this large left a SQLite WAL at least as large, which the periodic checkpoint
   * would copy back but shrink only once the database has been idle for a while: ask now
   * for the checkpoint that also truncates it (on the checkpointer's worker, so the answer does not wait for it; a
   * failure is left to the periodic job, which retries and reports). PostgreSQL: a no-op.
   */
  #afterWrite(bytes: number): void {
    if (bytes < WAL_TRUNCATE_ABOVE_BYTES) return;
    this.#database.checkpoint().catch(() => undefined);
  }

  async #record(
    trx: Trx,
    ctx: Context,
    upload: ReceivedUpload,
    meta: ArtifactMetadata,
  ): Promise<{ result: ArtifactResult; blobStored: boolean }> {
    const { parts } = upload;
    const at = this.#clock.now().toISOString();
    const existing = await findArtifact(trx, parts.sha256);
    if (existing) this.#assertSameArtifact(existing, parts.size);
    const blobStored = await recordUploadedBlob(trx, parts, at);
    if (existing?.content_stored) {
      return { result: { artifact: existing, created: false }, blobStored };
    }
    const embedded = await this.#storeEmbedded(trx, upload, at);
    if (existing) {
      await markContentStored(trx, parts.sha256, embedded);
      await this.#audit.append(trx, ctx, {
        type: 'artifact.content_stored',
        subject: parts.sha256,
        data: { size_bytes: parts.size, ...signatureEventData(embedded) },
      });
      return {
        result: {
          artifact: { ...existing, content_stored: true, embedded_signature: embedded },
          created: false,
        },
        blobStored,
      };
    }
    const artifact: Artifact = {
      sha256: parts.sha256,
      size_bytes: parts.size,
      publisher: meta.publisher,
      filename: meta.filename,
      build_time: meta.build_time ?? null,
      content_stored: true,
      created_by: ctx.actorId,
      created_at: at,
      embedded_signature: embedded,
    };
    await insertArtifact(trx, artifact);
    await this.#audit.append(trx, ctx, {
      type: 'artifact.uploaded',
      subject: artifact.sha256,
      data: {
        size_bytes: artifact.size_bytes,
        publisher: artifact.publisher,
        filename: artifact.filename,
        ...signatureEventData(embedded),
      },
    });
    return { result: { artifact, created: true }, blobStored };
  }

  /**
   * Records an artifact stored elsewhere, by digest, in `trx`. Registering it again is
   * harmless; registering it concurrently fails on its key (see artifactRecordedConcurrently).
   */
  async register(
    trx: Trx,
    ctx: Context,
    input: ArtifactMetadata & { sha256: string; size_bytes: number },
  ): Promise<ArtifactResult> {
    const existing = await findArtifact(trx, input.sha256);
    if (existing) {
      this.#assertSameArtifact(existing, input.size_bytes);
      return { artifact: existing, created: false };
    }
    const artifact: Artifact = {
      sha256: input.sha256,
      size_bytes: input.size_bytes,
      publisher: input.publisher,
      filename: input.filename,
      build_time: input.build_time ?? null,
      content_stored: false,
      created_by: ctx.actorId,
      created_at: this.#clock.now().toISOString(),
      embedded_signature: null,
    };
    await insertArtifact(trx, artifact);
    await this.#audit.append(trx, ctx, {
      type: 'artifact.registered',
      subject: artifact.sha256,
      data: {
        size_bytes: artifact.size_bytes,
        publisher: artifact.publisher,
        filename: artifact.filename,
      },
    });
    return { artifact, created: true };
  }

  /** Stops the Authenticode hashing worker, if one was started. */
  async close(): Promise<void> {
    await this.#peHashing.close();
  }

  /** Whether an artifact with this digest is known (uploaded or registered). */
  async exists(sha256: string, db: Executor = this.#database.db): Promise<boolean> {
    return (await findArtifact(db, sha256)) !== null;
  }

  async get(sha256: string): Promise<Artifact> {
    const artifact = await findArtifact(this.#database.db, sha256);
    if (!artifact) throw new NotFoundError('Artifact', sha256);
    return artifact;
  }

  async content(sha256: string): Promise<{ artifact: Artifact; chunks: AsyncGenerator<Buffer> }> {
    const artifact = await this.get(sha256);
    if (!artifact.content_stored) {
      throw new NotFoundError(
        'Stored content of artifact',
        `${sha256} (registered by digest only)`,
      );
    }
    return { artifact, chunks: readBlobChunks(this.#database.db, sha256) };
  }

  /** The signature material becomes a (small) blob in the record's transaction. */
  async #storeEmbedded(
    trx: Trx,
    upload: ReceivedUpload,
    at: string,
  ): Promise<EmbeddedSignature | null> {
    if (!upload.embedded) return null;
    const { signature, material } = upload.embedded;
    if (!material) return { ...signature, material_sha256: null };
    const stored = await putBlob(trx, Buffer.from(canonicalJson(material), 'utf8'), at);
    return { ...signature, material_sha256: stored.sha256 };
  }

  /**
   * The artifact's embedded signature judged at `at` against the trust anchors in force then
   * (they may have changed since the upload), from the material kept at upload: the file is
   * not read again. Null when the artifact carries no embedded signature (or is unknown).
   */
  async judgeEmbedded(
    sha256: string,
    at: Date,
    db: Executor = this.#database.db,
  ): Promise<EmbeddedJudgement | null> {
    const artifact = await findArtifact(db, sha256);
    const embedded = artifact?.embedded_signature;
    // An unsigned PE or MSI carries nothing to judge: as for any other file.
    if (!artifact || !embedded || embedded.report.status === 'unsigned') return null;
    const recorded_at = embedded.verified_at;
    const label = embedded.format === 'pe' ? 'PE' : 'MSI';
    if (embedded.material_sha256 === null) {
      const why = `its ${label} Authenticode signature could not be read (${embedded.report.reason}): ${embedded.report.message}`;
      return { summary: null, problem: why, material: null, recorded_at };
    }
    const bytes = await readBlob(db, embedded.material_sha256);
    if (!bytes) throw new Error(`The signature material ${embedded.material_sha256} is missing.`);
    const material = JSON.parse(bytes.toString('utf8')) as SignatureMaterial;
    const { report, summary } = await rejudgeMaterial(
      material,
      // The caller's executor: inside a transaction, SQLite has no other connection to wait for.
      await this.#trustAnchors.activePems(db),
      at,
    );
    return {
      summary,
      problem: summary
        ? null
        : `its ${label} Authenticode signature does not verify (${report.reason}): ${report.message}`,
      material: { sha256: embedded.material_sha256, size_bytes: bytes.length },
      recorded_at,
    };
  }

  #assertSameArtifact(existing: Artifact, size: number): void {
    if (existing.size_bytes !== size) {
      throw new ConflictError(
        `Artifact ${existing.sha256} is already recorded with ${existing.size_bytes} bytes, not ${size}.`,
        'artifact_size_mismatch',
      );
    }
  }
}

/** What the audit event says of an embedded signature: the verdict and who signed. */
function signatureEventData(embedded: EmbeddedSignature | null): Record<string, unknown> {
  if (!embedded) return {};
  const primary = embedded.report.signatures[0];
  return {
    embedded_signature: {
      format: embedded.format,
      status: embedded.report.status,
      reason: embedded.report.reason ?? null,
      signer_subject: primary?.signer_subject ?? null,
    },
  };
}
