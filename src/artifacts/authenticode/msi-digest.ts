/**
 * The Authenticode digest walk of an MSI, as osslsigncode's msi.c (the reference we compare
 * against) and Windows' MSI SIP define it:
 *
 *   digest = H( [prehash]  content of every stream, storage by storage, children sorted by
 *               their raw UTF-16LE name bytes, each storage followed by its CLSID )
 *
 * skipping the root's `\x05DigitalSignature` and `\x05MsiDigitalSignatureEx` (streams of those
 * names inside a storage are hashed like any other). With MsiDigitalSignatureEx present, the pre-hash is
 * H(metadata of every entry in the same order) and is hashed first: the *computed* value, not
 * the stored stream, so changed metadata cannot hide behind an untouched stream.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  type DirectoryEntry,
  ENTRY_ROOT,
  ENTRY_STORAGE,
  ENTRY_STREAM,
  NOSTREAM,
} from './msi-directory.js';

export type DigestAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** `\x05DigitalSignature` with its terminator, as stored. */
export const DIGITAL_SIGNATURE_NAME = Buffer.from('\u0005DigitalSignature\u0000', 'utf16le');
/** `\x05MsiDigitalSignatureEx` with its terminator, as stored. */
export const DIGITAL_SIGNATURE_EX_NAME = Buffer.from(
  '\u0005MsiDigitalSignatureEx\u0000',
  'utf16le',
);

/** Streams at or above this size are corrupt markers; osslsigncode skips them, so do we. */
const MAXREGSECT = 0xfffffffa;

export interface MsiNode {
  id: number;
  entry: DirectoryEntry;
  /** Sorted in hashing order. */
  children: MsiNode[];
}

export type TreeBuild =
  | { ok: true; root: MsiNode }
  | { ok: false; reason: 'malformed_directory'; message: string };

/** Hash order: memcmp over the shorter name, the longer first on a tie (osslsigncode). */
export function compareHashOrder(a: DirectoryEntry, b: DirectoryEntry): number {
  const length = Math.min(a.nameLength, b.nameLength);
  const diff = Buffer.compare(a.name.subarray(0, length), b.name.subarray(0, length));
  if (diff !== 0) return diff;
  return b.nameLength - a.nameLength;
}

function validName(entry: DirectoryEntry): boolean {
  const n = entry.nameLength;
  return n >= 2 && n <= 64 && n % 2 === 0 && entry.name[n - 2] === 0 && entry.name[n - 1] === 0;
}

/** Groups the (already link-checked) entries into storages; the links are trusted acyclic. */
export function buildTree(entries: DirectoryEntry[]): TreeBuild {
  const root: MsiNode = { id: 0, entry: entries[0]!, children: [] };
  const pending: Array<[number, MsiNode]> = [[root.entry.child, root]];
  while (pending.length > 0) {
    const [id, parent] = pending.pop()!;
    if (id === NOSTREAM) continue;
    const entry = entries[id]!;
    if (!validName(entry)) {
      return {
        ok: false,
        reason: 'malformed_directory',
        message: `directory entry ${id} has a malformed name`,
      };
    }
    const node: MsiNode = { id, entry, children: [] };
    parent.children.push(node);
    pending.push([entry.left, parent], [entry.right, parent], [entry.child, node]);
  }
  const storages = [root];
  while (storages.length > 0) {
    const storage = storages.pop()!;
    storage.children.sort((a, b) => compareHashOrder(a.entry, b.entry));
    for (let i = 1; i < storage.children.length; i++) {
      if (compareHashOrder(storage.children[i - 1]!.entry, storage.children[i]!.entry) === 0) {
        return {
          ok: false,
          reason: 'malformed_directory',
          message: `storage entry ${storage.id} holds two entries with the same name`,
        };
      }
    }
    storages.push(...storage.children);
  }
  return { ok: true, root };
}

function sameName(entry: DirectoryEntry, name: Buffer): boolean {
  return entry.nameLength === name.length && entry.name.equals(name);
}

function skipped(node: MsiNode, isRoot: boolean): boolean {
  return (
    isRoot &&
    (sameName(node.entry, DIGITAL_SIGNATURE_NAME) ||
      sameName(node.entry, DIGITAL_SIGNATURE_EX_NAME))
  );
}

/** Stream sizes worth reading: osslsigncode ignores empty and marker-sized streams. */
export function hashedSize(entry: DirectoryEntry): number {
  return entry.size === 0 || entry.size >= MAXREGSECT ? 0 : entry.size;
}

/**
 * Walks storages depth-first with an explicit stack (hostile nesting must not exhaust the
 * call stack): `visit` gets streams in hash order, `leave` each storage after its children.
 */
function walk(
  root: MsiNode,
  enter: (storage: MsiNode) => void,
  visitStream: (stream: MsiNode) => void,
  leave: (storage: MsiNode) => void,
): void {
  type Frame = { storage: MsiNode; next: number };
  enter(root);
  const stack: Frame[] = [{ storage: root, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const child = frame.storage.children[frame.next];
    if (!child) {
      leave(frame.storage);
      stack.pop();
      continue;
    }
    frame.next += 1;
    if (skipped(child, frame.storage === root)) continue;
    if (child.entry.type === ENTRY_STREAM) visitStream(child);
    else if (child.entry.type === ENTRY_STORAGE) {
      enter(child);
      stack.push({ storage: child, next: 0 });
    }
  }
}

/** The metadata pre-hash that MsiDigitalSignatureEx holds. */
export function metadataPrehash(root: MsiNode, algorithm: DigestAlgorithm): Buffer {
  const hash = createHash(algorithm);
  const metadata = (entry: DirectoryEntry) => {
    if (entry.type !== ENTRY_ROOT) hash.update(entry.name.subarray(0, entry.nameLength - 2));
    hash.update(entry.type === ENTRY_STREAM ? entry.sizeLow : entry.clsid);
    hash.update(entry.stateBits);
    if (entry.type !== ENTRY_ROOT) {
      hash.update(entry.creationTime);
      hash.update(entry.modifiedTime);
    }
  };
  walk(
    root,
    (storage) => metadata(storage.entry),
    (stream) => metadata(stream.entry),
    () => {},
  );
  return hash.digest();
}

/**
 * The Authenticode digest. `content(id)` returns stream `id`'s bytes, exactly its size long
 * (the caller has checked that); `withPrehash` when MsiDigitalSignatureEx is present.
 */
export function msiDigest(
  root: MsiNode,
  content: (id: number) => Buffer,
  algorithm: DigestAlgorithm,
  withPrehash: boolean,
): Buffer {
  const hash: Hash = createHash(algorithm);
  if (withPrehash) hash.update(metadataPrehash(root, algorithm));
  walk(
    root,
    () => {},
    (stream) => {
      if (hashedSize(stream.entry) > 0) hash.update(content(stream.id));
    },
    (storage) => hash.update(storage.entry.clsid),
  );
  return hash.digest();
}

/** Every stream the digest reads, for the caller to check their contents up front. */
export function hashedStreams(root: MsiNode): MsiNode[] {
  const streams: MsiNode[] = [];
  walk(
    root,
    () => {},
    (stream) => {
      if (hashedSize(stream.entry) > 0) streams.push(stream);
    },
    () => {},
  );
  return streams;
}
