/**
 * Test support only: a Rekor-like transparency log with a real key. It places an entry in a
 * small RFC 6962 Merkle tree, proves its inclusion, signs the tree head as a signed-note
 * checkpoint and signs the inclusion promise (SET), byte for byte as @sigstore/verify reads
 * them (dist/tlog/merkle.js, checkpoint.js, set.js).
 */
import { createHash, type KeyObject, sign } from 'node:crypto';
import { json } from '@sigstore/core';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (leaf: Buffer) => sha256(Buffer.from([0]), leaf);
const nodeHash = (left: Buffer, right: Buffer) => sha256(Buffer.from([1]), left, right);

/** The largest power of two strictly below n (RFC 6962 §2.1's k). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function treeHash(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leafHash(leaves[0]!);
  const k = split(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

/** RFC 6962 §2.1.1 PATH(m, D[n]), leaf-side first. */
function auditPath(index: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return index < k
    ? [...auditPath(index, leaves.slice(0, k)), treeHash(leaves.slice(k))]
    : [...auditPath(index - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
}

export interface TestLogKey {
  privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  publicKeyDer: Buffer;
  /** SHA-256 of the SPKI, as Rekor and CT logs name themselves. */
  logId: Buffer;
  baseUrl: string;
  /** Checkpoint origin line and signer name (must occur in baseUrl, as the verifier checks). */
  origin: string;
}

export interface LogEntryOptions {
  kind: 'hashedrekord' | 'dsse';
  body: unknown;
  integratedTime: number;
  /** Which proofs to attach; v0.1 bundles carry the SET, v0.2+ the inclusion proof. */
  promise?: boolean;
  proof?: boolean;
  /** Leaves of the tree besides ours, and our position among them. */
  treeSize?: number;
  logIndex?: number;
}

/** A TransparencyLogEntry in the bundle's JSON form. */
export function logEntry(log: TestLogKey, options: LogEntryOptions): Record<string, unknown> {
  const body = Buffer.from(json.canonicalize(options.body), 'utf8');
  const treeSize = options.treeSize ?? 7;
  const logIndex = options.logIndex ?? 5;
  const leaves = Array.from({ length: treeSize }, (_, i) =>
    i === logIndex ? body : Buffer.from(`other entry ${i}`),
  );
  const entry: Record<string, unknown> = {
    logIndex: String(logIndex),
    logId: { keyId: log.logId.toString('base64') },
    kindVersion: { kind: options.kind, version: '0.0.1' },
    integratedTime: String(options.integratedTime),
    canonicalizedBody: body.toString('base64'),
  };
  if (options.promise ?? true) {
    const payload = json.canonicalize({
      body: body.toString('base64'),
      integratedTime: options.integratedTime,
      logIndex,
      logID: log.logId.toString('hex'),
    });
    entry.inclusionPromise = {
      signedEntryTimestamp: sign('sha256', Buffer.from(payload), log.privateKey).toString('base64'),
    };
  }
  if (options.proof ?? true) {
    const root = treeHash(leaves);
    entry.inclusionProof = {
      logIndex: String(logIndex),
      rootHash: root.toString('base64'),
      treeSize: String(treeSize),
      hashes: auditPath(logIndex, leaves).map((h) => h.toString('base64')),
      checkpoint: { envelope: checkpoint(log, treeSize, root) },
    };
  }
  return entry;
}

/** A signed note (c2sp.org/signed-note) over the tree head: origin, size, root hash. */
export function checkpoint(log: TestLogKey, treeSize: number, root: Buffer): string {
  const note = `${log.origin}\n${treeSize}\n${root.toString('base64')}\n`;
  const signature = sign('sha256', Buffer.from(note), log.privateKey);
  const signed = Buffer.concat([log.logId.subarray(0, 4), signature]).toString('base64');
  return `${note}\n\u2014 ${log.origin} ${signed}\n`;
}

/** Rekor's hashedrekord v0.0.1 body for a message signature. */
export function hashedrekordBody(digestHex: string, signature: Buffer, certificatePem: string) {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: digestHex } },
      signature: {
        content: signature.toString('base64'),
        publicKey: { content: Buffer.from(certificatePem).toString('base64') },
      },
    },
  };
}

/** Rekor's dsse v0.0.1 body for a one-signature envelope. */
export function dsseBody(
  envelopeJson: string,
  payload: Buffer,
  signature: Buffer,
  certPem: string,
) {
  const hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: hex(envelopeJson) },
      payloadHash: { algorithm: 'sha256', value: hex(payload) },
      signatures: [
        {
          signature: signature.toString('base64'),
          verifier: Buffer.from(certPem).toString('base64'),
        },
      ],
    },
  };
}
