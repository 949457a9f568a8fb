/**
 * Reads the few PE header fields the Authenticode digest depends on ("Windows Authenticode
 * Portable Executable Signature Format", section "Calculating the PE Image Hash"). Header
 * parsing needs only the first bytes of the file; whether the certificate table fits is
 * judged once the file size is known (the upload streams, so it is known last).
 */

export type PeInvalidReason =
  /** `MZ` and `PE\0\0` are there but the headers after them are cut short or inconsistent. */
  | 'malformed_pe'
  /** The certificate-table directory entry points outside the file, into the headers or sections, or is misaligned. */
  | 'certificate_table_invalid';

export type HeaderParse =
  | { kind: 'need_more'; bytes: number }
  | { kind: 'not_pe'; message: string }
  | { kind: 'invalid'; reason: PeInvalidReason; message: string }
  | { kind: 'layout'; layout: PeLayout };

export interface PeLayout {
  is64: boolean;
  checksumOffset: number;
  /** Offset of the IMAGE_DIRECTORY_ENTRY_SECURITY entry (8 bytes); undefined when the directory has fewer than 5 entries. */
  securityEntryOffset: number | undefined;
  /** File offset and size of the certificate table; size 0 = unsigned. */
  tableOffset: number;
  tableSize: number;
  sizeOfHeaders: number;
  /** End of the furthest section's raw data. */
  sectionsEnd: number;
}

/** e_lfanew beyond this is refused: the header prefix is buffered, and real linkers put it near 0x80. */
export const MAX_HEADER_PREFIX = 64 * 1024;

const PE32_MAGIC = 0x10b;
const PE32_PLUS_MAGIC = 0x20b;
const SECURITY_DIRECTORY = 4;
const SECTION_HEADER_SIZE = 40;
const COFF_HEADER_SIZE = 20;

function invalid(reason: PeInvalidReason, message: string): HeaderParse {
  return { kind: 'invalid', reason, message };
}

/**
 * Parses the headers from `prefix`, the first bytes of the file. `ended` = the whole file is
 * in `prefix` (nothing more will come). Returns `need_more` with the byte count it needs.
 */
export function parsePeHeaders(prefix: Buffer, ended: boolean): HeaderParse {
  const need = (bytes: number): HeaderParse | undefined => {
    if (prefix.length >= bytes) return undefined;
    if (bytes > MAX_HEADER_PREFIX) {
      return invalid(
        'malformed_pe',
        `The PE headers extend to byte ${bytes}, beyond the ${MAX_HEADER_PREFIX} bytes cabinet reads.`,
      );
    }
    return ended ? undefined : { kind: 'need_more', bytes };
  };
  const waitMz = need(2);
  if (waitMz) return waitMz;
  if (prefix.length < 2 || prefix[0] !== 0x4d || prefix[1] !== 0x5a) {
    return { kind: 'not_pe', message: 'The file does not start with the MZ signature.' };
  }
  const waitDos = need(0x40);
  if (waitDos) return waitDos;
  if (prefix.length < 0x40) return { kind: 'not_pe', message: 'The DOS header is cut short.' };
  const peOffset = prefix.readUInt32LE(0x3c);
  if (peOffset > MAX_HEADER_PREFIX) {
    return invalid(
      'malformed_pe',
      `e_lfanew is ${peOffset}, beyond the ${MAX_HEADER_PREFIX} bytes cabinet reads.`,
    );
  }
  const coff = peOffset + 4;
  const optional = coff + COFF_HEADER_SIZE;
  const waitCoff = need(optional + 2);
  if (waitCoff) return waitCoff;
  if (prefix.length < coff || prefix.readUInt32LE(peOffset) !== 0x00004550) {
    return { kind: 'not_pe', message: 'No PE signature at e_lfanew: a DOS program, not a PE.' };
  }
  if (prefix.length < optional + 2) {
    return invalid('malformed_pe', 'The COFF header is cut short.');
  }
  const sections = prefix.readUInt16LE(coff + 2);
  const optionalSize = prefix.readUInt16LE(coff + 16);
  const magic = prefix.readUInt16LE(optional);
  if (magic !== PE32_MAGIC && magic !== PE32_PLUS_MAGIC) {
    return invalid(
      'malformed_pe',
      `The optional header magic is 0x${magic.toString(16)}, neither PE32 (0x10b) nor PE32+ (0x20b).`,
    );
  }
  const is64 = magic === PE32_PLUS_MAGIC;
  const sectionTable = optional + optionalSize;
  const headersEnd = sectionTable + sections * SECTION_HEADER_SIZE;
  const waitAll = need(headersEnd);
  if (waitAll) return waitAll;
  if (prefix.length < headersEnd) {
    return invalid('malformed_pe', 'The optional header or the section table is cut short.');
  }
  const directories = optional + (is64 ? 112 : 96);
  const countOffset = optional + (is64 ? 108 : 92);
  if (countOffset + 4 > sectionTable) {
    return invalid(
      'malformed_pe',
      `SizeOfOptionalHeader is ${optionalSize}, too small for a ${is64 ? 'PE32+' : 'PE32'} header.`,
    );
  }
  const directoryCount = prefix.readUInt32LE(countOffset);
  const securityEntry = directories + SECURITY_DIRECTORY * 8;
  const hasSecurity = directoryCount > SECURITY_DIRECTORY && securityEntry + 8 <= sectionTable;
  let sectionsEnd = 0;
  for (let i = 0; i < sections; i++) {
    const header = sectionTable + i * SECTION_HEADER_SIZE;
    const rawSize = prefix.readUInt32LE(header + 16);
    const rawPointer = prefix.readUInt32LE(header + 20);
    if (rawSize > 0) sectionsEnd = Math.max(sectionsEnd, rawPointer + rawSize);
  }
  return {
    kind: 'layout',
    layout: {
      is64,
      checksumOffset: optional + 64,
      securityEntryOffset: hasSecurity ? securityEntry : undefined,
      tableOffset: hasSecurity ? prefix.readUInt32LE(securityEntry) : 0,
      tableSize: hasSecurity ? prefix.readUInt32LE(securityEntry + 4) : 0,
      sizeOfHeaders: Math.max(prefix.readUInt32LE(optional + 60), headersEnd),
      sectionsEnd,
    },
  };
}

/**
 * True when the file carries a certificate table at all (the entry may still be bad). A
 * zero size is unsigned whatever the offset says, as for osslsigncode and signtool.
 */
export function isSigned(layout: PeLayout): boolean {
  return layout.tableSize > 0;
}

/** The checks that need the header only; undefined when the table is plausible so far. */
export function checkTablePlacement(layout: PeLayout): string | undefined {
  const { tableOffset, tableSize } = layout;
  if (tableSize < 8)
    return `The certificate table at offset ${tableOffset} has only ${tableSize} bytes.`;
  if (tableOffset % 8 !== 0) {
    return `The certificate table starts at offset ${tableOffset}, which is not 8-byte aligned.`;
  }
  if (tableOffset < layout.sizeOfHeaders) {
    return (
      `The certificate table at offset ${tableOffset} overlaps the PE headers ` +
      `(they end at ${layout.sizeOfHeaders}).`
    );
  }
  if (tableOffset < layout.sectionsEnd) {
    return (
      `The certificate table at offset ${tableOffset} overlaps section data ` +
      `(which ends at ${layout.sectionsEnd}).`
    );
  }
  return undefined;
}

/** The check that needs the file size. */
export function checkTableFits(layout: PeLayout, fileSize: number): string | undefined {
  const end = layout.tableOffset + layout.tableSize;
  if (end > fileSize) {
    return (
      `The certificate table (offset ${layout.tableOffset}, size ${layout.tableSize}) ends at ` +
      `${end}, past the end of the ${fileSize}-byte file.`
    );
  }
  return undefined;
}
