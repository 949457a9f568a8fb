/**
 * The PE certificate table: a run of WIN_CERTIFICATE entries, each `dwLength` (4 bytes, the
 * header included), `wRevision` (2), `wCertificateType` (2), then the blob, padded to 8 bytes.
 */

const WIN_CERT_REVISION_2_0 = 0x0200;
const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;
const HEADER = 8;

export type CertificateTableParse =
  | { kind: 'ok'; pkcs7: Buffer[]; skipped: number }
  | { kind: 'invalid'; message: string };

export function parseCertificateTable(table: Buffer): CertificateTableParse {
  const pkcs7: Buffer[] = [];
  let skipped = 0;
  let offset = 0;
  while (offset < table.length) {
    if (table.length - offset < HEADER) {
      // Trailing zero padding is what some signers leave; anything else is a cut entry.
      if (table.subarray(offset).every((byte) => byte === 0)) break;
      return {
        kind: 'invalid',
        message: `The certificate table ends inside an entry header at ${offset}.`,
      };
    }
    const length = table.readUInt32LE(offset);
    const revision = table.readUInt16LE(offset + 4);
    const type = table.readUInt16LE(offset + 6);
    if (length === 0 && table.subarray(offset).every((byte) => byte === 0)) break;
    if (length < HEADER || length > table.length - offset) {
      return {
        kind: 'invalid',
        message:
          `The certificate table entry at ${offset} declares ${length} bytes, but ` +
          `${table.length - offset} remain in the table.`,
      };
    }
    if (revision === WIN_CERT_REVISION_2_0 && type === WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
      pkcs7.push(withoutPadding(table.subarray(offset + HEADER, offset + length)));
    } else {
      skipped += 1;
    }
    offset += Math.ceil(length / 8) * 8;
  }
  if (pkcs7.length === 0) {
    return {
      kind: 'invalid',
      message: 'The certificate table holds no PKCS#7 SignedData entry (revision 2.0, type 2).',
    };
  }
  return { kind: 'ok', pkcs7, skipped };
}

/**
 * Signers count the 8-byte alignment padding in dwLength (osslsigncode does), so the blob is
 * cut to the length its outer DER header declares; a blob whose header does not parse is
 * kept whole for the verifier to refuse.
 */
function withoutPadding(blob: Buffer): Buffer {
  if (blob.length < 2 || blob[0] !== 0x30) return Buffer.from(blob);
  const first = blob[1]!;
  let header = 2;
  let length = first;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || blob.length < 2 + count) return Buffer.from(blob);
    length = blob.readUIntBE(2, count);
    header += count;
  }
  const total = header + length;
  return Buffer.from(total <= blob.length ? blob.subarray(0, total) : blob);
}
