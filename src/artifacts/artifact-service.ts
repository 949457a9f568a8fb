import type { AuditLog } from '../audit/audit-log.js';
import { discardUpload, type LeftoverReporter, warnLeftover } from '../blobs/blob-parts.js';
import { readBlobChunks, recordUploadedBlob } from '../blobs/blob-store.js';
import type { UploadSource } from '../blobs/upload-body.js';
import { type UploadedParts, uploadToParts } from '../blobs/upload-to-parts.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { WAL_TRUNCATE_ABOVE_BYTES } from '../platform/db/sqlite-checkpointer.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import {
  type Artifact,
  findArtifact,
  insertArtifact,
  markContentStored,
} from './artifact-store.js';

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
  /** Set by store: whether its transaction made these parts the blob. */
  blobStored: boolean;
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

  constructor(deps: {
    database: Database;
    clock: Clock;
    audit: AuditLog;
    maxUploadBytes: number;
    /** Where uploads that could not be cleaned up are reported (default: a process warning). */
    reportLeftover?: LeftoverReporter;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#maxUploadBytes = deps.maxUploadBytes;
    this.#reportLeftover = deps.reportLeftover ?? warnLeftover;
  }

  /**
   * The part of an upload outside any transaction: streams the bytes into the database's
   * part table as they arrive (hashing on the way, never buffering the whole, no
   * transaction open). Then `store` makes them a blob, in the caller's transaction, and
   * `release` drops the parts unless that transaction committed them as the blob.
   */
  async receive(source: UploadSource): Promise<ReceivedUpload> {
    const parts = await uploadToParts(
      this.#database.db,
      source,
      this.#maxUploadBytes,
      this.#clock.now().toISOString(),
      this.#reportLeftover,
    );
    return { parts, blobStored: false };
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
    const { result, blobStored } = await this.#record(trx, ctx, upload.parts, meta);
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
   * An upload this large left a SQLite WAL at least as large, which the periodic PASSIVE
   * checkpoint would copy back but never shrink: ask now for the checkpoint that also
   * truncates it (on the checkpointer's worker, so the answer does not wait for it; a
   * failure is left to the periodic job, which retries and reports). PostgreSQL: a no-op.
   */
  #afterWrite(bytes: number): void {
    if (bytes < WAL_TRUNCATE_ABOVE_BYTES) return;
    this.#database.checkpoint().catch(() => undefined);
  }

  async #record(
    trx: Trx,
    ctx: Context,
    parts: UploadedParts,
    meta: ArtifactMetadata,
  ): Promise<{ result: ArtifactResult; blobStored: boolean }> {
    const at = this.#clock.now().toISOString();
    const existing = await findArtifact(trx, parts.sha256);
    if (existing) this.#assertSameArtifact(existing, parts.size);
    const blobStored = await recordUploadedBlob(trx, parts, at);
    if (existing) {
      if (existing.content_stored)
        return { result: { artifact: existing, created: false }, blobStored };
      await markContentStored(trx, parts.sha256);
      await this.#audit.append(trx, ctx, {
        type: 'artifact.content_stored',
        subject: parts.sha256,
        data: { size_bytes: parts.size },
      });
      return {
        result: { artifact: { ...existing, content_stored: true }, created: false },
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
    };
    await insertArtifact(trx, artifact);
    await this.#audit.append(trx, ctx, {
      type: 'artifact.uploaded',
      subject: artifact.sha256,
      data: {
        size_bytes: artifact.size_bytes,
        publisher: artifact.publisher,
        filename: artifact.filename,
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

  #assertSameArtifact(existing: Artifact, size: number): void {
    if (existing.size_bytes !== size) {
      throw new ConflictError(
        `Artifact ${existing.sha256} is already recorded with ${existing.size_bytes} bytes, not ${size}.`,
        'artifact_size_mismatch',
      );
    }
  }
}
