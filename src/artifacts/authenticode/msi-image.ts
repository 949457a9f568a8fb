/**
 * Finds the Authenticode signature of an MSI (an OLE compound file) and recomputes its
 * digest. The whole file is in memory: cfb needs random access to the sectors, so unlike the
 * PE path this cannot stream; the caller bounds the size before calling.
 */
import { ContentInfo, id_signedData, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import CFB from 'cfb';
import {
  buildTree,
  DIGITAL_SIGNATURE_EX_NAME,
  DIGITAL_SIGNATURE_NAME,
  type DigestAlgorithm,
  hashedSize,
  hashedStreams,
  type MsiNode,
  msiDigest,
} from './msi-digest.js';
import { type DirectoryEntry, ENTRY_STREAM, readDirectoryEntries } from './msi-directory.js';
import type { SignedImage } from './signed-image.js';

export type { SignedImage };

export type MsiInvalidReason =
  | 'not_compound_file'
  | 'malformed_directory'
  | 'truncated'
  | 'malformed_signature';

export type MsiScan =
  | { kind: 'not_msi' }
  | { kind: 'invalid'; reason: MsiInvalidReason; message: string }
  | { kind: 'unsigned' }
  | { kind: 'signed'; image: SignedImage; has_ex: boolean };

const COMPOUND_FILE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const HEADER_SIZE = 512;

interface CfbEntry {
  type?: number;
  start?: number;
  content?: Uint8Array | number[];
}

function invalid(reason: MsiInvalidReason, message: string): MsiScan {
  return { kind: 'invalid', reason, message };
}

/** Untrusted text goes into messages flat and short. */
function quote(text: string): string {
  const flat = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(flat.length > 120 ? `${flat.slice(0, 120)}…` : flat);
}

export function isCompoundFile(bytes: Buffer): boolean {
  return (
    bytes.length >= COMPOUND_FILE_MAGIC.length && bytes.subarray(0, 8).equals(COMPOUND_FILE_MAGIC)
  );
}

export function readMsiImage(bytes: Buffer): MsiScan {
  if (!isCompoundFile(bytes)) return { kind: 'not_msi' };
  if (bytes.length < HEADER_SIZE) {
    return invalid('truncated', `the file ends at byte ${bytes.length}, inside the header`);
  }
  const directory = readDirectoryEntries(bytes);
  if (!directory.ok) return invalid(directory.reason, directory.message);
  const { entries } = directory;

  let index: CfbEntry[];
  try {
    index = CFB.read(bytes, { type: 'buffer' }).FileIndex as CfbEntry[];
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return invalid('not_compound_file', `the compound file cannot be read: ${quote(text)}`);
  }
  if (index.length !== entries.length) {
    return invalid('malformed_directory', 'the directory does not read consistently');
  }
  const tree = buildTree(entries);
  if (!tree.ok) return invalid(tree.reason, tree.message);

  const contents = new Map<number, Buffer>();
  const streamContent = (node: MsiNode): Buffer | MsiScan => {
    const known = contents.get(node.id);
    if (known) return known;
    const found = contentOf(index[node.id], node.entry);
    if (!found) {
      return invalid(
        'truncated',
        `stream entry ${node.id} declares ${node.entry.size} bytes that the file does not hold`,
      );
    }
    contents.set(node.id, found);
    return found;
  };
  for (const stream of hashedStreams(tree.root)) {
    const result = streamContent(stream);
    if (!Buffer.isBuffer(result)) return result;
  }

  const signatureNode = rootStream(tree.root, DIGITAL_SIGNATURE_NAME);
  if (!signatureNode) return { kind: 'unsigned' };
  const signature = streamContent(signatureNode);
  if (!Buffer.isBuffer(signature)) return signature;
  const problem = signedDataProblem(signature);
  if (problem) return invalid('malformed_signature', problem);

  const exNode = rootStream(tree.root, DIGITAL_SIGNATURE_EX_NAME);
  let exLength: number | undefined;
  if (exNode) {
    const ex = streamContent(exNode);
    if (!Buffer.isBuffer(ex)) return ex;
    exLength = ex.length;
  }
  const root = tree.root;
  const read = (id: number) => contents.get(id)!;
  const image: SignedImage = {
    format: 'msi',
    pkcs7: [signature],
    digest: async (algorithm) => {
      // The computed pre-hash enters the digest (below), never the stored one; a stored one of
      // the wrong size means the file was signed with another algorithm (osslsigncode fails too).
      if (exLength !== undefined && exLength !== digestLength(algorithm)) {
        throw new Error(
          `MsiDigitalSignatureEx holds ${exLength} bytes, not a ${algorithm} pre-hash`,
        );
      }
      return msiDigest(root, read, algorithm, exNode !== undefined);
    },
  };
  return { kind: 'signed', has_ex: exNode !== undefined, image };
}

function digestLength(algorithm: DigestAlgorithm): number {
  return { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[algorithm];
}

function rootStream(root: MsiNode, name: Buffer): MsiNode | undefined {
  return root.children.find(
    (child) =>
      child.entry.type === ENTRY_STREAM &&
      child.entry.nameLength === name.length &&
      child.entry.name.equals(name),
  );
}

/** The stream's bytes, exactly its declared size, or undefined when the file is cut short. */
function contentOf(cfbEntry: CfbEntry | undefined, entry: DirectoryEntry): Buffer | undefined {
  const size = hashedSize(entry);
  if (size === 0) return Buffer.alloc(0);
  if (!cfbEntry || cfbEntry.type !== entry.type || (cfbEntry.start ?? -1) >>> 0 !== entry.start) {
    return undefined;
  }
  const content = cfbEntry.content;
  if (!content || content.length < size) return undefined;
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return bytes.subarray(0, size);
}

/** Why `der` is not one DER ContentInfo holding SignedData, or undefined when it is. */
function signedDataProblem(der: Buffer): string | undefined {
  if (der.length === 0) return 'the DigitalSignature stream is empty';
  const view = new Uint8Array(der.buffer, der.byteOffset, der.length);
  const outer = asn1js.fromBER(view);
  if (outer.offset === -1) return 'the DigitalSignature stream is not DER';
  if (outer.offset !== der.length) {
    return `the DigitalSignature stream has ${der.length - outer.offset} bytes after the PKCS#7`;
  }
  try {
    const info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== id_signedData) {
      return `the DigitalSignature stream holds content type ${quote(info.contentType)}, not SignedData`;
    }
    AsnConvert.parse(info.content, SignedData);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return `the DigitalSignature stream is not PKCS#7 SignedData: ${quote(text)}`;
  }
  return undefined;
}
