import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import { putBlobFromFile, readBlobChunks } from '../blobs/blob-store.js';
import { stageToFile, type UploadSource } from '../blobs/upload-staging.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database } from '../platform/db/database.js';
import { isUniqueViolation } from '../platform/db/database.js';
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

export class ArtifactService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #stagingDir: string;
  readonly #maxUploadBytes: number;

  constructor(deps: {
    database: Database;
    clock: Clock;
    audit: AuditLog;
    dataDir: string;
    maxUploadBytes: number;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#stagingDir = join(deps.dataDir, 'staging');
    this.#maxUploadBytes = deps.maxUploadBytes;
  }

  /**
   * Streams the bytes to a staging file (hashing on the way, never buffering the whole), then
   * stores blob, record and audit event in one short transaction.
   */
  async upload(
    ctx: Context,
    source: UploadSource,
    meta: ArtifactMetadata,
  ): Promise<ArtifactResult> {
    const staged = await stageToFile(source, this.#maxUploadBytes, this.#stagingDir);
    try {
      return await this.#database.transaction(async (trx) => {
        const at = this.#clock.now().toISOString();
        const existing = await findArtifact(trx, staged.sha256);
        if (existing) {
          this.#assertSameArtifact(existing, staged.size);
          if (existing.content_stored) return { artifact: existing, created: false };
          await putBlobFromFile(trx, staged, at);
          await markContentStored(trx, staged.sha256);
          await this.#audit.append(trx, ctx, {
            type: 'artifact.content_stored',
            subject: staged.sha256,
            data: { size_bytes: staged.size },
          });
          return { artifact: { ...existing, content_stored: true }, created: false };
        }
        await putBlobFromFile(trx, staged, at);
        const artifact: Artifact = {
          sha256: staged.sha256,
          size_bytes: staged.size,
          publisher: meta.publisher,
          filename: meta.filename,
          build_time: meta.build_time ?? null,
          content_stored: true,
          created_by: ctx.actorId,
          created_at: at,
        };
        await this.#insert(trx, artifact);
        await this.#audit.append(trx, ctx, {
          type: 'artifact.uploaded',
          subject: artifact.sha256,
          data: {
            size_bytes: artifact.size_bytes,
            publisher: artifact.publisher,
            filename: artifact.filename,
          },
        });
        return { artifact, created: true };
      });
    } finally {
      await staged.discard();
    }
  }

  /** Records an artifact stored elsewhere, by digest. Registering it again is harmless. */
  async register(
    ctx: Context,
    input: ArtifactMetadata & { sha256: string; size_bytes: number },
  ): Promise<ArtifactResult> {
    return this.#database.transaction(async (trx) => {
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
      await this.#insert(trx, artifact);
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
    });
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

  async #insert(trx: Parameters<typeof insertArtifact>[0], artifact: Artifact): Promise<void> {
    try {
      await insertArtifact(trx, artifact);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          `Artifact ${artifact.sha256} was recorded concurrently; retry.`,
          'artifact_exists',
        );
      }
      throw error;
    }
  }
}
