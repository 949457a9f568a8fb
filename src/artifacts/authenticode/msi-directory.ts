/**
 * The raw 128-byte directory entries of a compound file, in directory order (entry i is
 * cfb's FileIndex[i]), and a guard run before cfb sees the bytes.
 *
 * cfb reads the streams for us, but it turns the FILETIMEs into Dates (losing the 100-ns
 * digits) and drops the name bytes after decoding them, and the MSI pre-hash and stream order
 * need those bytes exactly as stored; so this walks the directory's own FAT chain. The FAT is
 * read the way cfb 1.2.2 reads it, so that the guard can predict cfb's work: on hostile bytes
 * cfb can loop forever (a stream chain that starts inside a cyclic chain) or go quadratic
 * (chains laid out backwards, sibling links that form loops), and the guard refuses those
 * files before cfb runs.
 */

const DIR_ENTRY_SIZE = 128;
const HEADER_DIFAT_COUNT = 109;
const ENDOFCHAIN = -2;
const FREESECT = -1;
const MINI_STREAM_CUTOFF = 4096;
export const NOSTREAM = 0xffffffff;

export const ENTRY_STORAGE = 1;
export const ENTRY_STREAM = 2;
export const ENTRY_ROOT = 5;

/** Far above any real MSI (a few hundred streams), low enough for cfb's quadratic tree walk. */
export const MAX_DIRECTORY_ENTRIES = 8192;

export interface DirectoryEntry {
  /** The stored name bytes (UTF-16LE, terminator included), `nameLength` of them. */
  name: Buffer;
  nameLength: number;
  type: number;
  left: number;
  right: number;
  child: number;
  clsid: Buffer;
  stateBits: Buffer;
  creationTime: Buffer;
  modifiedTime: Buffer;
  start: number;
  /** The low 32 bits of the stream size, as stored (the pre-hash takes these four bytes). */
  sizeLow: Buffer;
  size: number;
}

export type DirectoryFailure = {
  ok: false;
  reason: 'truncated' | 'malformed_directory';
  message: string;
};
export type DirectoryRead = { ok: true; entries: DirectoryEntry[] } | DirectoryFailure;

function fail(reason: DirectoryFailure['reason'], message: string): DirectoryFailure {
  return { ok: false, reason, message };
}

/** The sector/FAT view cfb 1.2.2 builds: the same sector numbering and the same FAT list. */
interface Layout {
  sectorSize: number;
  sectorCount: number;
  sector(n: number): Buffer | undefined;
  fat: number[];
}

/** cfb's __readInt32LE: missing high bytes read as 0, a missing first byte yields NaN. */
function int32At(buf: Buffer, offset: number): number {
  if (offset < 0 || offset >= buf.length) return Number.NaN;
  return (
    ((buf[offset + 3] ?? 0) << 24) +
    ((buf[offset + 2] ?? 0) << 16) +
    ((buf[offset + 1] ?? 0) << 8) +
    buf[offset]!
  );
}

function layoutOf(bytes: Buffer): Layout | DirectoryFailure {
  const shift = bytes.readUInt16LE(0x1e);
  if (shift !== 9 && shift !== 12) {
    return fail('malformed_directory', `unsupported sector shift ${shift}`);
  }
  const sectorSize = 1 << shift;
  if (bytes.length < sectorSize) return fail('truncated', 'the compound-file header is cut short');
  const sectorCount = Math.ceil(bytes.length / sectorSize) - 1;
  const sector = (n: number): Buffer | undefined => {
    if (!Number.isInteger(n) || n < 0 || n >= sectorCount) return undefined;
    const offset = (n + 1) * sectorSize;
    return bytes.subarray(offset, offset + sectorSize);
  };
  const fat: number[] = [];
  for (let i = 0; i < HEADER_DIFAT_COUNT; i++) {
    const n = bytes.readInt32LE(0x4c + i * 4);
    if (n < 0) break;
    fat.push(n);
  }
  // cfb follows the DIFAT chain for `declared` more links after the first sector.
  let remaining = bytes.readInt32LE(0x48);
  let current = bytes.readInt32LE(0x44);
  const perDifatSector = sectorSize / 4 - 1;
  const seen = new Set<number>();
  while (current !== ENDOFCHAIN && current !== FREESECT) {
    const data = sector(current);
    if (!data) break;
    if (seen.has(current)) return fail('malformed_directory', 'the DIFAT chain loops');
    seen.add(current);
    for (let i = 0; i < perDifatSector; i++) {
      const n = int32At(data, i * 4);
      if (n === ENDOFCHAIN) break;
      fat.push(n);
    }
    if (remaining < 1) break;
    remaining -= 1;
    current = int32At(data, sectorSize - 4);
  }
  if (current === ENDOFCHAIN && remaining > 0) {
    return fail('truncated', 'the DIFAT chain is shorter than the header declares');
  }
  return { sectorSize, sectorCount, sector, fat };
}

/** The next sector after `j` as cfb computes it, or undefined where cfb stops the chain. */
function nextSector(layout: Layout, j: number): number | undefined {
  const fatSector = layout.sector(layout.fat[Math.floor((j * 4) / layout.sectorSize)]!);
  if (!fatSector) return undefined;
  return int32At(fatSector, (j * 4) & (layout.sectorSize - 1));
}

/** Reads the directory entries; refuses what would make cfb hang or blow up. */
export function readDirectoryEntries(bytes: Buffer): DirectoryRead {
  const layout = layoutOf(bytes);
  if ('ok' in layout) return layout;
  const heads = new Set<number>();
  const budget = { steps: 4 * layout.sectorCount + 4096 };
  const scanned = simulateSectorScan(layout, bytes.readInt32LE(0x30), heads, budget);
  if (scanned) return scanned;

  const chunks: Buffer[] = [];
  const seen = new Set<number>();
  let current = bytes.readInt32LE(0x30);
  while (current !== ENDOFCHAIN) {
    if (seen.has(current)) {
      return fail('malformed_directory', `the directory chain loops at sector ${current}`);
    }
    seen.add(current);
    const data = layout.sector(current);
    if (!data || data.length < layout.sectorSize) {
      return fail('truncated', `directory sector ${current} lies past the end of the file`);
    }
    chunks.push(data);
    const following = nextSector(layout, current);
    if (following === undefined || Number.isNaN(following)) {
      return fail('truncated', `the FAT entry for directory sector ${current} is missing`);
    }
    current = following;
  }
  const directory = Buffer.concat(chunks);
  const count = Math.floor(directory.length / DIR_ENTRY_SIZE);
  if (count === 0) return fail('malformed_directory', 'the directory is empty');
  if (count > MAX_DIRECTORY_ENTRIES) {
    return fail('malformed_directory', `the directory holds ${count} entries, too many`);
  }
  const entries: DirectoryEntry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push(parseEntry(directory.subarray(i * DIR_ENTRY_SIZE, (i + 1) * DIR_ENTRY_SIZE)));
  }
  const links = checkLinks(entries);
  if (links) return links;
  const chains = checkStreamChains(layout, entries, heads, budget);
  if (chains) return chains;
  return { ok: true, entries };
}

/** cfb's make_sector_list walk, counted instead of copied; records which chains it keeps. */
function simulateSectorScan(
  layout: Layout,
  dirStart: number,
  heads: Set<number>,
  budget: { steps: number },
): DirectoryFailure | undefined {
  const checked = new Set<number>();
  const total = layout.sectorCount;
  for (let i = 0; i < total; i++) {
    let k = i + dirStart;
    if (k >= total) k -= total;
    if (checked.has(k)) continue;
    const seen = new Set<number>();
    let j = k;
    while (j >= 0) {
      seen.add(j);
      checked.add(j);
      if (--budget.steps < 0) {
        return fail('malformed_directory', 'the FAT chains are laid out pathologically');
      }
      const following = nextSector(layout, j);
      if (following === undefined) break;
      j = following;
      if (seen.has(j)) break;
    }
    heads.add(k);
  }
  return undefined;
}

/**
 * cfb re-walks, without loop detection, the chain of every entry of 4096 bytes or more whose
 * start is not a chain head it kept; a loop there never ends.
 */
function checkStreamChains(
  layout: Layout,
  entries: DirectoryEntry[],
  heads: Set<number>,
  budget: { steps: number },
): DirectoryFailure | undefined {
  for (const entry of entries) {
    const signedSize = entry.size | 0;
    const signedStart = entry.start | 0;
    if (signedSize < 0 && signedStart < 0) continue;
    if (entry.type === ENTRY_ROOT || signedSize < MINI_STREAM_CUTOFF) continue;
    if (heads.has(signedStart)) continue;
    const seen = new Set<number>();
    let j = signedStart;
    while (j >= 0) {
      if (seen.has(j)) return fail('malformed_directory', `the chain at sector ${j} loops`);
      seen.add(j);
      if (--budget.steps < 0) {
        return fail('malformed_directory', 'the FAT chains are laid out pathologically');
      }
      const following = nextSector(layout, j);
      if (following === undefined) break;
      j = following;
    }
    heads.add(signedStart);
  }
  return undefined;
}

/**
 * The sibling and child links must form one tree from the root: every entry reached at most
 * once, and entries off the tree carry no links (cfb's path builder loops otherwise).
 */
function checkLinks(entries: DirectoryEntry[]): DirectoryFailure | undefined {
  const root = entries[0]!;
  if (root.type !== ENTRY_ROOT) return fail('malformed_directory', 'entry 0 is not the root');
  if (root.left !== NOSTREAM || root.right !== NOSTREAM) {
    return fail('malformed_directory', 'the root entry has siblings');
  }
  const reached = new Uint8Array(entries.length);
  reached[0] = 1;
  const pending = [root.child];
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (id === NOSTREAM) continue;
    if (id >= entries.length) {
      return fail('malformed_directory', `a directory link points to entry ${id}, past the end`);
    }
    if (reached[id]) return fail('malformed_directory', `directory entry ${id} is linked twice`);
    reached[id] = 1;
    const entry = entries[id]!;
    pending.push(entry.left, entry.right, entry.child);
  }
  for (let id = 1; id < entries.length; id++) {
    const entry = entries[id]!;
    if (reached[id]) continue;
    if (entry.left !== NOSTREAM || entry.right !== NOSTREAM || entry.child !== NOSTREAM) {
      return fail('malformed_directory', `directory entry ${id} is off the tree but has links`);
    }
  }
  return undefined;
}

function parseEntry(raw: Buffer): DirectoryEntry {
  const nameLength = raw.readUInt16LE(0x40);
  return {
    name: Buffer.from(raw.subarray(0, Math.min(nameLength, 64))),
    nameLength,
    type: raw[0x42]!,
    left: raw.readUInt32LE(0x44),
    right: raw.readUInt32LE(0x48),
    child: raw.readUInt32LE(0x4c),
    clsid: Buffer.from(raw.subarray(0x50, 0x60)),
    stateBits: Buffer.from(raw.subarray(0x60, 0x64)),
    creationTime: Buffer.from(raw.subarray(0x64, 0x6c)),
    modifiedTime: Buffer.from(raw.subarray(0x6c, 0x74)),
    start: raw.readUInt32LE(0x74),
    sizeLow: Buffer.from(raw.subarray(0x78, 0x7c)),
    size: raw.readUInt32LE(0x78),
  };
}
