/**
 * RFC 4514 distinguished names, read into their attributes so a publisher's subject can be
 * compared attribute by attribute with a signer's. Pure. Lenient where real tools differ from
 * the RFC (a space after the `,` separator as @peculiar/x509 and OpenSSL print it, `;` as a
 * separator and quoted values from RFC 2253/1779), strict about what changes meaning (an
 * unknown escape, bytes that are not UTF-8, a missing `=`).
 */

export interface NameAttribute {
  /** Upper-case short name (`CN`, `O`, …) for the well-known types, else the dotted OID. */
  type: string;
  /** The value after unescaping, exactly as the certificate holds it. */
  value: string;
}

export type NameParse =
  | { ok: true; attributes: NameAttribute[] }
  | { ok: false; at: number; message: string };

/** Short names of the usual attribute types, by every spelling that means them. */
const TYPE_ALIASES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  S: 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  TITLE: 'T',
  '2.5.4.42': 'G',
  GIVENNAME: 'G',
  '2.5.4.97': 'ORGANIZATIONIDENTIFIER',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'E',
  EMAILADDRESS: 'E',
};

const KEYWORD = /^[A-Za-z][A-Za-z0-9-]*$/;
const OID = /^[0-9]+(\.[0-9]+)+$/;
const ESCAPABLE = ' "#+,;<=>\\';
const HEX = /^[0-9A-Fa-f]{2}$/;

/** The canonical spelling of an attribute type (types compare case-insensitively). */
export function normaliseType(raw: string): string | null {
  let type = raw.trim();
  if (/^oid\./i.test(type)) type = type.slice(4);
  if (OID.test(type)) return TYPE_ALIASES[type] ?? type;
  if (!KEYWORD.test(type)) return null;
  const upper = type.toUpperCase();
  return TYPE_ALIASES[upper] ?? upper;
}

const isSeparator = (c: string | undefined) => c === ',' || c === '+' || c === ';';

/** Reads a whole name; the first problem is reported with its 0-based character offset. */
export function parseDistinguishedName(text: string): NameParse {
  const attributes: NameAttribute[] = [];
  let i = 0;
  const fail = (at: number, message: string): NameParse => ({ ok: false, at, message });
  const skipSpaces = () => {
    while (text[i] === ' ') i += 1;
  };
  skipSpaces();
  if (i === text.length) return fail(0, 'the name is empty');
  while (i < text.length) {
    skipSpaces();
    const typeStart = i;
    while (i < text.length && text[i] !== '=' && !isSeparator(text[i])) i += 1;
    if (text[i] !== '=') return fail(typeStart, 'expected TYPE=value (no "=" found)');
    const type = normaliseType(text.slice(typeStart, i));
    if (type === null) {
      return fail(typeStart, 'the attribute type must be a name like O or CN, or a dotted OID');
    }
    i += 1;
    skipSpaces();
    const value = readValue(text, i);
    if (!value.ok) return fail(value.at, value.message);
    i = value.end;
    attributes.push({ type, value: value.value });
    skipSpaces();
    if (i === text.length) break;
    if (!isSeparator(text[i])) return fail(i, 'expected "," or "+" between attributes');
    i += 1;
    skipSpaces();
    if (i === text.length) return fail(i, 'the name ends with a separator');
  }
  return { ok: true, attributes };
}

type ValueRead =
  | { ok: true; value: string; end: number }
  | { ok: false; at: number; message: string };

function readValue(text: string, start: number): ValueRead {
  if (text[start] === '#') {
    // A BER-encoded value in hex: compared as written (lower-cased), not decoded.
    let end = start + 1;
    while (end < text.length && /[0-9A-Fa-f]/.test(text[end]!)) end += 1;
    if (end === start + 1 || (end - start - 1) % 2 !== 0) {
      return { ok: false, at: start, message: 'a #-value must be an even number of hex digits' };
    }
    return { ok: true, value: text.slice(start, end).toLowerCase(), end };
  }
  if (text[start] === '"') return readQuoted(text, start);
  const bytes: number[] = [];
  let out = '';
  // Unescaped trailing spaces are not part of the value; escaped ones are.
  let keep = 0;
  const flushBytes = (): string | null => {
    if (bytes.length === 0) return '';
    const decoded = decodeUtf8(bytes);
    bytes.length = 0;
    return decoded === null ? null : decoded;
  };
  let i = start;
  while (i < text.length && !isSeparator(text[i])) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      const pair = text.slice(i + 1, i + 3);
      if (HEX.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        i += 3;
        continue;
      }
      const flushed = flushBytes();
      if (flushed === null) return { ok: false, at: i, message: 'escaped bytes are not UTF-8' };
      out += flushed;
      if (flushed.length > 0) keep = out.length;
      if (next === undefined || !ESCAPABLE.includes(next)) {
        return {
          ok: false,
          at: i,
          message: 'a backslash must escape a special character or two hex digits',
        };
      }
      out += next;
      keep = out.length;
      i += 2;
      continue;
    }
    const flushed = flushBytes();
    if (flushed === null) return { ok: false, at: i, message: 'escaped bytes are not UTF-8' };
    out += flushed;
    if (flushed.length > 0) keep = out.length;
    if (c === '"') return { ok: false, at: i, message: 'a quote inside a value must be escaped' };
    out += c;
    if (c !== ' ') keep = out.length;
    i += 1;
  }
  const flushed = flushBytes();
  if (flushed === null) return { ok: false, at: i, message: 'escaped bytes are not UTF-8' };
  out += flushed;
  if (flushed.length > 0) keep = out.length;
  return { ok: true, value: out.slice(0, keep), end: i };
}

function readQuoted(text: string, start: number): ValueRead {
  let out = '';
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\') {
      const next = text[i + 1];
      if (next === undefined) break;
      out += next;
      i += 2;
      continue;
    }
    out += text[i];
    i += 1;
  }
  if (text[i] !== '"') return { ok: false, at: start, message: 'the quoted value is not closed' };
  return { ok: true, value: out, end: i + 1 };
}

function decodeUtf8(bytes: number[]): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

/** RFC 4514 text of one attribute value, escaping what the RFC requires. */
export function escapeValue(value: string): string {
  const chars = [...value];
  return chars
    .map((c, index) => {
      const special = '"+,;<>\\'.includes(c);
      const edge =
        (index === 0 && (c === ' ' || c === '#')) || (index === chars.length - 1 && c === ' ');
      return special || edge ? `\\${c}` : c;
    })
    .join('');
}
