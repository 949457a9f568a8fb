import { createHash, type Hash } from 'node:crypto';

export type DigestAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** Half-open byte range of the file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Hashes a file fed in chunks at their positions, skipping the given ranges: contiguous
 * slices go to the hash, so the cost is one `update` per slice, never per byte.
 */
export class ExcludingHasher {
  private readonly hash: Hash;
  private readonly excluded: ByteRange[];

  constructor(algorithm: DigestAlgorithm, excluded: ByteRange[]) {
    this.hash = createHash(algorithm);
    this.excluded = [...excluded].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  }

  feed(chunk: Buffer, position: number): void {
    const end = position + chunk.length;
    let cursor = position;
    for (const range of this.excluded) {
      if (range.end <= cursor) continue;
      if (range.start >= end) break;
      if (range.start > cursor)
        this.hash.update(chunk.subarray(cursor - position, range.start - position));
      cursor = Math.min(range.end, end);
      if (cursor >= end) return;
    }
    if (cursor < end) this.hash.update(chunk.subarray(cursor - position));
  }

  digest(): Buffer {
    return this.hash.digest();
  }
}

/** Copies the bytes of one range out of chunks fed at their positions. */
export class RangeCapture {
  readonly bytes: Buffer;

  constructor(private readonly range: ByteRange) {
    this.bytes = Buffer.alloc(range.end - range.start);
  }

  feed(chunk: Buffer, position: number): void {
    const from = Math.max(position, this.range.start);
    const to = Math.min(position + chunk.length, this.range.end);
    if (to > from) chunk.copy(this.bytes, from - this.range.start, from - position, to - position);
  }
}
