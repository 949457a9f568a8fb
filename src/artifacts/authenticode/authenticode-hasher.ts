/**
 * The PE Authenticode digest, computed while the upload streams: everything except the
 * CheckSum field, the certificate-table directory entry and the certificate table itself
 * ("Windows Authenticode Portable Executable Signature Format", "Calculating the PE Image
 * Hash"). The spec's section-by-section walk hashes the same bytes in the same order for any
 * file a linker writes; like osslsigncode and signtool we hash the file in file order, so
 * bytes after the sections (and after the table) count too and cannot be changed unnoticed.
 * Only the header prefix (≤ 64 KiB) and the certificate table (≤ 16 MiB) are kept in memory.
 */
import {
  type ByteRange,
  type DigestAlgorithm,
  ExcludingHasher,
  RangeCapture,
} from './excluding-hasher.js';
import {
  checkTableFits,
  checkTablePlacement,
  isSigned,
  type PeInvalidReason,
  type PeLayout,
  parsePeHeaders,
} from './pe-layout.js';
import type { SignedImage } from './signed-image.js';
import { parseCertificateTable } from './win-certificate.js';

export const MAX_CERTIFICATE_TABLE = 16 * 1024 * 1024;

export type PeScan =
  | { kind: 'not_pe'; message: string }
  | { kind: 'invalid'; reason: PeInvalidReason; message: string }
  | { kind: 'unsigned' }
  | {
      kind: 'signed';
      layout: PeLayout;
      /**
       * The signed image. `reread` re-streams the same file (e.g. the stored blob): needed
       * only for a digest algorithm that was not computed during the upload.
       */
      image(reread?: () => AsyncIterable<Uint8Array>): SignedImage;
    };

export interface PeHasher {
  update(chunk: Uint8Array): void;
  /** `size`: the byte count of the whole file, as the caller counted it. */
  finish(size: number): PeScan;
}

export interface PeHasherOptions {
  /** Digests computed in the upload pass; SHA-256 (the signtool/osslsigncode default) always is. */
  algorithms?: DigestAlgorithm[];
}

type State =
  | { kind: 'prefix'; pending: Buffer[]; buffered: number; needed: number }
  | { kind: 'done'; scan: PeScan }
  | {
      kind: 'streaming';
      layout: PeLayout;
      hashers: Map<DigestAlgorithm, ExcludingHasher>;
      table: RangeCapture;
    };

export function excludedRanges(layout: PeLayout): ByteRange[] {
  const ranges: ByteRange[] = [
    { start: layout.checksumOffset, end: layout.checksumOffset + 4 },
    { start: layout.tableOffset, end: layout.tableOffset + layout.tableSize },
  ];
  if (layout.securityEntryOffset !== undefined) {
    ranges.push({ start: layout.securityEntryOffset, end: layout.securityEntryOffset + 8 });
  }
  return ranges;
}

export function createPeHasher(options: PeHasherOptions = {}): PeHasher {
  const algorithms = [...new Set<DigestAlgorithm>(['sha256', ...(options.algorithms ?? [])])];
  let state: State = { kind: 'prefix', pending: [], buffered: 0, needed: 2 };
  let position = 0;

  const feed = (chunk: Buffer, at: number): void => {
    if (state.kind !== 'streaming') return;
    for (const hasher of state.hashers.values()) hasher.feed(chunk, at);
    state.table.feed(chunk, at);
  };

  const decide = (ended: boolean): void => {
    if (state.kind !== 'prefix') return;
    if (!ended && state.buffered < state.needed) return;
    const prefix = Buffer.concat(state.pending);
    const parsed = parsePeHeaders(prefix, ended);
    if (parsed.kind === 'need_more') {
      state = { ...state, pending: [prefix], needed: parsed.bytes };
      return;
    }
    if (parsed.kind === 'not_pe') {
      state = { kind: 'done', scan: { kind: 'not_pe', message: parsed.message } };
      return;
    }
    if (parsed.kind === 'invalid') {
      state = { kind: 'done', scan: parsed };
      return;
    }
    const layout = parsed.layout;
    if (!isSigned(layout)) {
      state = { kind: 'done', scan: { kind: 'unsigned' } };
      return;
    }
    const placement = checkTablePlacement(layout);
    const tooLarge =
      layout.tableSize > MAX_CERTIFICATE_TABLE
        ? `The certificate table is ${layout.tableSize} bytes; cabinet reads at most ${MAX_CERTIFICATE_TABLE}.`
        : undefined;
    const problem = placement ?? tooLarge;
    if (problem) {
      state = {
        kind: 'done',
        scan: { kind: 'invalid', reason: 'certificate_table_invalid', message: problem },
      };
      return;
    }
    const excluded = excludedRanges(layout);
    state = {
      kind: 'streaming',
      layout,
      hashers: new Map(algorithms.map((a) => [a, new ExcludingHasher(a, excluded)])),
      table: new RangeCapture({
        start: layout.tableOffset,
        end: layout.tableOffset + layout.tableSize,
      }),
    };
    feed(prefix, 0);
  };

  return {
    update(input) {
      const chunk = Buffer.isBuffer(input)
        ? input
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      const at = position;
      position += chunk.length;
      if (state.kind === 'prefix') {
        // A copy: the caller may fill the chunk's memory again once update returns (the
        // worker's shared slots), and the prefix can wait for more than one chunk.
        state.pending.push(Buffer.from(chunk));
        state.buffered += chunk.length;
        decide(false);
        return;
      }
      feed(chunk, at);
    },
    finish(size) {
      if (size !== position) {
        throw new Error(`PE hasher: finish(${size}) after ${position} bytes were fed.`);
      }
      decide(true);
      if (state.kind === 'done') return state.scan;
      if (state.kind === 'prefix') return { kind: 'not_pe', message: 'The file is empty.' };
      const { layout, hashers, table } = state;
      const beyond = checkTableFits(layout, size);
      if (beyond) return { kind: 'invalid', reason: 'certificate_table_invalid', message: beyond };
      const entries = parseCertificateTable(table.bytes);
      if (entries.kind === 'invalid') {
        return { kind: 'invalid', reason: 'certificate_table_invalid', message: entries.message };
      }
      const streamed = new Map([...hashers].map(([a, hasher]) => [a, hasher.digest()]));
      return {
        kind: 'signed',
        layout,
        image: (reread) => peImage(layout, entries.pkcs7, streamed, size, reread),
      };
    },
  };
}

/**
 * A located PE signature: the digests computed in the upload pass (`streamed`, filled in as
 * more are computed), and `reread` for a second streamed pass when the signature names an
 * algorithm the pass did not compute. Also built from a scan that crossed from a worker.
 */
export function peImage(
  layout: PeLayout,
  pkcs7: Buffer[],
  streamed: Map<DigestAlgorithm, Buffer>,
  size: number,
  reread?: () => AsyncIterable<Uint8Array>,
): SignedImage {
  return {
    format: 'pe',
    pkcs7,
    digest: async (algorithm) => {
      const known = streamed.get(algorithm);
      if (known) return known;
      if (!reread) {
        throw new Error(
          `The ${algorithm} Authenticode digest was not computed during the upload and no second pass is available.`,
        );
      }
      const digest = await rehash(reread(), layout, algorithm, size);
      streamed.set(algorithm, digest);
      return digest;
    },
  };
}

/** The second streamed pass, for a digest algorithm the upload pass did not compute. */
async function rehash(
  source: AsyncIterable<Uint8Array>,
  layout: PeLayout,
  algorithm: DigestAlgorithm,
  size: number,
): Promise<Buffer> {
  const hasher = new ExcludingHasher(algorithm, excludedRanges(layout));
  let position = 0;
  for await (const input of source) {
    const chunk = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    hasher.feed(chunk, position);
    position += chunk.length;
  }
  if (position !== size) {
    throw new Error(`The second pass read ${position} bytes; the upload had ${size}.`);
  }
  return hasher.digest();
}
