import type { PeHasher } from './authenticode/index.js';
import type { PeLayout } from './authenticode/pe-layout.js';

/** A finished PE scan as plain data (it crosses from the hashing worker as it is). */
export type PeScanData =
  | { kind: 'not_pe' }
  | { kind: 'unsigned' }
  | { kind: 'invalid'; reason: 'malformed_pe' | 'certificate_table_invalid'; message: string }
  | { kind: 'signed'; layout: PeLayout; pkcs7: Uint8Array[]; sha256: Uint8Array };

/** Ends the hasher's pass over `size` bytes: what the file held, and its SHA-256 digest. */
export async function finishPeScan(hasher: PeHasher, size: number): Promise<PeScanData> {
  const scan = hasher.finish(size);
  if (scan.kind === 'not_pe') return { kind: 'not_pe' };
  if (scan.kind !== 'signed') return scan;
  const image = scan.image();
  const sha256 = await image.digest('sha256');
  return { kind: 'signed', layout: scan.layout, pkcs7: image.pkcs7, sha256 };
}
