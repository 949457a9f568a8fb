/**
 * The publisher's signature inside an uploaded artifact (Authenticode in a PE or an MSI):
 * found and digested while the upload streams, judged against the trust anchors, and kept as
 * material (the PKCS#7 blobs and the digests they sign) so a later assessment can judge it
 * again against the anchors in force then without reading the file a second time.
 */
import type { SignatureSummary } from '../evidence/signatures/index.js';
import { peImage } from './authenticode/authenticode-hasher.js';
import {
  type AuthenticodeFailureReason,
  type AuthenticodeReport,
  authenticodeSummary,
  createPeHasher,
  type DigestAlgorithm,
  type PeHasher,
  type SignedImage,
  verifyAuthenticode,
} from './authenticode/index.js';
import { isCompoundFile, readMsiImage } from './authenticode/msi-image.js';
import type { PeHashJob, PeHashWorker } from './pe-hash-offload.js';
import { finishPeScan, type PeScanData } from './pe-scan-data.js';

/**
 * cfb reads a compound file from memory (it needs random access): an MSI up to this size is
 * kept while it streams in and read once the upload ends; a larger one is stored unverified,
 * with a verdict that says so.
 */
export const MSI_VERIFY_MAX_BYTES = 256 * 1024 * 1024;

/** What the file held, before any judgement: the image to verify, or why there is none. */
export type ScannedFile =
  | { kind: 'none' }
  | { kind: 'unsigned'; format: 'pe' | 'msi' }
  | { kind: 'invalid'; format: 'pe' | 'msi'; reason: AuthenticodeFailureReason; message: string }
  | { kind: 'signed'; image: SignedImage };

export interface SignatureScan {
  /** A promise when the scan cannot take the chunk yet (the worker is behind): wait for it. */
  observe(chunk: Buffer): undefined | Promise<void>;
  /** `reread` streams the same bytes again, for a digest the upload pass did not compute. */
  finish(size: number, reread: () => AsyncIterable<Uint8Array>): Promise<ScannedFile>;
  /** The upload failed before finish: let go of what the scan holds. */
  abort(): void;
}

/** A PE at least this large is hashed on the worker (below, posting costs more than hashing). */
export const OFFLOAD_PE_BYTES = 8 * 1024 * 1024;

export interface SignatureScanOptions {
  /** Where large PEs are hashed, beside the main thread. */
  offload?: PeHashWorker;
  /** The declared Content-Length, when there is one: decides whether a PE goes to the worker. */
  expectedSize?: number | undefined;
}

const PE_MAGIC = Buffer.from('MZ', 'latin1');
const SNIFF_BYTES = 8;

/**
 * Looks at the first bytes and follows the file only when it can be a PE (`MZ`) or an MSI
 * (the compound-file magic): anything else costs one comparison.
 */
export function createSignatureScan(options: SignatureScanOptions = {}): SignatureScan {
  let head = Buffer.alloc(0);
  let follower:
    | { kind: 'pe'; hasher: PeHasher }
    | { kind: 'pe-offloaded'; job: PeHashJob }
    | { kind: 'msi'; chunks: Buffer[] }
    | null = null;
  let decided = false;
  let msiBytes = 0;
  let msiTooLarge = false;

  const follow = (chunk: Buffer): undefined | Promise<void> => {
    if (!follower) return;
    if (follower.kind === 'pe') {
      follower.hasher.update(chunk);
      return;
    }
    if (follower.kind === 'pe-offloaded') return follower.job.update(chunk);
    msiBytes += chunk.length;
    if (msiBytes > MSI_VERIFY_MAX_BYTES) {
      msiTooLarge = true;
      follower.chunks = [];
      follower = null;
      return;
    }
    // The chunk may be a view on a buffer the body stream reuses: keep a copy.
    follower.chunks.push(Buffer.from(chunk));
  };

  const decide = () => {
    decided = true;
    const large = (options.expectedSize ?? 0) >= OFFLOAD_PE_BYTES;
    if (head.subarray(0, 2).equals(PE_MAGIC)) {
      follower =
        large && options.offload
          ? { kind: 'pe-offloaded', job: options.offload.start() }
          : { kind: 'pe', hasher: createPeHasher() };
    } else if (isCompoundFile(head)) follower = { kind: 'msi', chunks: [] };
    const pending = head;
    head = Buffer.alloc(0);
    return follow(pending);
  };

  return {
    observe(chunk) {
      if (decided) return follow(chunk);
      head = Buffer.concat([head, chunk]);
      return head.length >= SNIFF_BYTES ? decide() : undefined;
    },
    abort() {
      if (follower?.kind === 'pe-offloaded') follower.job.abort();
      follower = null;
    },
    async finish(size, reread) {
      if (!decided) await decide();
      if (msiTooLarge) {
        return {
          kind: 'invalid',
          format: 'msi',
          reason: 'too_large_to_verify',
          message: `The MSI is ${size} bytes; cabinet verifies the signature of MSIs up to ${MSI_VERIFY_MAX_BYTES} bytes.`,
        };
      }
      // Assigned inside closures, so TypeScript cannot narrow it here.
      const current = follower as typeof follower;
      if (!current) return { kind: 'none' };
      if (current.kind === 'pe') {
        return fromPeData(await finishPeScan(current.hasher, size), size, reread);
      }
      if (current.kind === 'pe-offloaded') {
        return fromPeData(await current.job.finish(size), size, reread);
      }
      const bytes = Buffer.concat(current.chunks);
      current.chunks = [];
      return fromMsi(bytes);
    },
  };
}

function fromPeData(
  scan: PeScanData,
  size: number,
  reread: () => AsyncIterable<Uint8Array>,
): ScannedFile {
  switch (scan.kind) {
    case 'not_pe':
      return { kind: 'none' };
    case 'unsigned':
      return { kind: 'unsigned', format: 'pe' };
    case 'invalid':
      return { kind: 'invalid', format: 'pe', reason: scan.reason, message: scan.message };
    case 'signed':
      return {
        kind: 'signed',
        image: peImage(
          scan.layout,
          scan.pkcs7.map((der) => Buffer.from(der)),
          new Map([['sha256', Buffer.from(scan.sha256)]]),
          size,
          reread,
        ),
      };
  }
}

function fromMsi(bytes: Buffer): ScannedFile {
  const scan = readMsiImage(bytes);
  switch (scan.kind) {
    case 'not_msi':
      return { kind: 'none' };
    case 'unsigned':
      return { kind: 'unsigned', format: 'msi' };
    case 'invalid':
      return {
        kind: 'invalid',
        format: 'msi',
        reason: scan.reason === 'malformed_signature' ? 'malformed_signature' : 'malformed_msi',
        message: scan.message,
      };
    case 'signed':
      return { kind: 'signed', image: scan.image };
  }
}

/** What the artifact record keeps: the verdict at upload and what re-judging needs. */
export interface EmbeddedSignature {
  format: 'pe' | 'msi';
  /** The verdict at upload, against the trust anchors in force then. */
  report: AuthenticodeReport;
  verified_at: string;
  /** SHA-256 of the material document (a blob), null when there is nothing to judge again. */
  material_sha256: string | null;
}

/** The signature material as stored: canonical enough to hash, small (kilobytes). */
export interface SignatureMaterial {
  format: 'pe' | 'msi';
  /** DER PKCS#7 SignedData blobs, base64. */
  pkcs7: string[];
  /** Authenticode digests of the file, by algorithm, lowercase hex. */
  digests: Partial<Record<DigestAlgorithm, string>>;
}

/**
 * Judges a scanned file: the report at `now`, and (for a signed file) the material, holding
 * every digest the verifier asked for.
 */
export async function judgeScannedFile(
  scanned: ScannedFile,
  trustAnchors: string[],
  now: Date,
): Promise<{ report: AuthenticodeReport; material: SignatureMaterial | null } | null> {
  switch (scanned.kind) {
    case 'none':
      return null;
    case 'unsigned':
      return {
        report: { format: scanned.format, status: 'unsigned', signatures: [] },
        material: null,
      };
    case 'invalid':
      return {
        report: {
          format: scanned.format,
          status: 'invalid',
          reason: scanned.reason,
          message: scanned.message,
          signatures: [],
        },
        material: null,
      };
    case 'signed': {
      const digests: SignatureMaterial['digests'] = {};
      const recording: SignedImage = {
        format: scanned.image.format,
        pkcs7: scanned.image.pkcs7,
        digest: async (algorithm) => {
          const digest = await scanned.image.digest(algorithm);
          digests[algorithm] = digest.toString('hex');
          return digest;
        },
      };
      const report = await verifyAuthenticode(recording, { trustAnchors, now });
      return {
        report,
        material: {
          format: scanned.image.format,
          pkcs7: scanned.image.pkcs7.map((der) => der.toString('base64')),
          digests,
        },
      };
    }
  }
}

/**
 * Judges stored material again (another instant, other anchors). A digest the upload did not
 * compute cannot be had without the file: the verifier reports that signature as not
 * verifiable rather than reading the artifact again.
 */
export async function rejudgeMaterial(
  material: SignatureMaterial,
  trustAnchors: string[],
  now: Date,
): Promise<{ report: AuthenticodeReport; summary: SignatureSummary | null }> {
  const image: SignedImage = {
    format: material.format,
    pkcs7: material.pkcs7.map((b64) => Buffer.from(b64, 'base64')),
    digest: async (algorithm) => {
      const hex = material.digests[algorithm];
      if (hex === undefined) {
        throw new Error(`the ${algorithm} digest of the file was not kept at upload`);
      }
      return Buffer.from(hex, 'hex');
    },
  };
  const report = await verifyAuthenticode(image, { trustAnchors, now });
  return { report, summary: authenticodeSummary(report) };
}
