import { PackageURL } from 'packageurl-js';
import type { Warnings } from './warnings.js';

/*
 * The verdict of packageurl-js 2.0.1 (`PackageURL.fromString` throws or not), reached without
 * it for the purls SBOMs are made of. packageurl-js builds a WHATWG URL, a URLSearchParams
 * and a dozen strings per purl: ~1.5 µs, 15 ms and ~12 MB of garbage for 10k components.
 *
 * The fast path takes a purl that starts with "pkg:" (not "pkg:/"), made only of printable
 * ASCII other than space, `"`, `<`, `>` and "`". On such a string the URL parser is the
 * identity: the path is opaque (no authority, nothing encoded), the query and fragment
 * percent-encode sets hold none of its characters. So packageurl-js sees the string's own
 * pieces, and the scan below repeats its steps on them:
 *
 * - path = up to the first `?` or `#`; query = up to the first `#` after it; fragment = rest;
 * - type = path up to the first `/` (none, or none before the path ends: no name, invalid),
 *   checked as `[a-zA-Z.+-][a-zA-Z0-9.+-]*`. A type with `%` goes to packageurl-js, which
 *   slices the rest of the path by the decoded type's length;
 * - version = after the last `@` of the path, unless a `/` precedes that `@`;
 * - name = after the last `/` before the version, namespace = between the type and it;
 * - namespace, name, version and subpath must each pass decodeURIComponent, and the name,
 *   decoded and trimmed, must not be empty;
 * - qualifiers: pairs split on `&`, then on the first `=`, with `+` read as a space and
 *   percent-decoded. A value with a malformed escape goes to packageurl-js: URLSearchParams
 *   keeps or replaces such escapes where decodeURIComponent refuses them. Each decoded
 *   value must pass decodeURIComponent again (packageurl-js decodes it twice). A pair whose
 *   trimmed value is empty is dropped; the other keys, lower-cased, must be
 *   `[a-zA-Z.\-_][a-zA-Z0-9.\-_]*`;
 * - the type rules packageurl-js enforces (src/purl-type.js): conan, cran, golang, maven,
 *   mlflow, oci, pub, swift. Its golang rule throws a ReferenceError instead of a PurlError
 *   for a version "v…" that is not semver; either way the purl is refused.
 *
 * purl.test.ts checks this against packageurl-js on generated purls and the corpus.
 */

const SCHEME = 'pkg:';
const SLASH = 0x2f;
const PERCENT = 0x25;
const QUESTION = 0x3f;
const HASH = 0x23;
const PLUS = 0x2b;

/** Where one purl's parts are; `end` of a part is the start of the next one's separator. */
export interface PurlSplit {
  /** Index of the `/` after the type. */
  typeEnd: number;
  /** Index of the `/` before the name (typeEnd when there is no namespace). */
  nameStart: number;
  /** Index of the version's `@`, or -1. */
  versionAt: number;
  /** End of the path: the first `?` or `#`, or the length. */
  pathEnd: number;
  /** Index of the query's `?`, or -1. */
  query: number;
  /** Index of the fragment's `#`, or the length. */
  fragment: number;
  /** Whether any `%` occurs (otherwise no part needs decoding). */
  encoded: boolean;
}

/**
 * The offsets of a purl's parts as packageurl-js reads them, or `undefined` when the purl is
 * outside the fast path (see above), or `null` when it has no name at all.
 */
export function splitPurl(purl: string): PurlSplit | null | undefined {
  const found = scan(purl);
  return found === null || found === undefined ? found : { ...found };
}

/** Filled by scan(): one per module, so that checking a purl allocates nothing. */
const scratch: PurlSplit = {
  typeEnd: 0,
  nameStart: 0,
  versionAt: 0,
  pathEnd: 0,
  query: 0,
  fragment: 0,
  encoded: false,
};

/** splitPurl's result in `scratch` (valid until the next call), or undefined / null. */
function scan(purl: string): PurlSplit | null | undefined {
  const length = purl.length;
  if (!purl.startsWith(SCHEME) || purl.charCodeAt(SCHEME.length) === SLASH) return undefined;
  let query = -1;
  let fragment = length;
  let encoded = false;
  for (let index = SCHEME.length; index < length; index += 1) {
    const code = purl.charCodeAt(index);
    const kind = code < 0x80 ? CHARACTER[code] : OUTSIDE;
    if (kind === PLAIN) continue;
    if (kind === OUTSIDE) return undefined;
    if (code === PERCENT) {
      encoded = true;
    } else if (code === HASH) {
      if (fragment === length) fragment = index;
    } else if (query === -1 && fragment === length) {
      query = index;
    }
  }
  const pathEnd = query === -1 ? fragment : query;
  const typeEnd = purl.indexOf('/', SCHEME.length);
  if (typeEnd === -1 || typeEnd >= pathEnd) return null;
  if (encoded && purl.lastIndexOf('%', typeEnd) >= SCHEME.length) return undefined;
  let versionAt = purl.lastIndexOf('@', pathEnd - 1);
  if (versionAt < typeEnd || purl.charCodeAt(versionAt - 1) === SLASH) versionAt = -1;
  scratch.typeEnd = typeEnd;
  scratch.nameStart = purl.lastIndexOf('/', (versionAt === -1 ? pathEnd : versionAt) - 1);
  scratch.versionAt = versionAt;
  scratch.pathEnd = pathEnd;
  scratch.query = query;
  scratch.fragment = fragment;
  scratch.encoded = encoded;
  return scratch;
}

const PLAIN = 0;
const OUTSIDE = 1;
const MARK = 2;

/**
 * Per ASCII code: OUTSIDE the fast path (controls, space, `"`, `<`, `>`, "`", DEL), a MARK
 * the scan records (`%`, `?`, `#`), or PLAIN.
 */
const CHARACTER = Uint8Array.from({ length: 0x80 }, (_, code) => {
  if (code <= 0x20 || code === 0x7f || '"<>`'.includes(String.fromCharCode(code))) return OUTSIDE;
  return code === PERCENT || code === QUESTION || code === HASH ? MARK : PLAIN;
});

/** The decoded text of purl[start, end), or null when decodeURIComponent refuses it. */
function decoded(purl: string, start: number, end: number, encoded: boolean): string | null {
  const text = purl.slice(start, end);
  if (!encoded || !text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Whether purl[start, end) passes decodeURIComponent (built only when it holds a `%`). */
function decodable(purl: string, start: number, end: number): boolean {
  const percent = purl.indexOf('%', start);
  return percent === -1 || percent >= end || decoded(purl, start, end, true) !== null;
}

/**
 * packageurl-js's verdict on `purl`: true if `PackageURL.fromString` accepts it, false if
 * it throws, undefined when the purl is outside the fast path.
 */
export function fastPurlValidity(purl: string): boolean | undefined {
  const split = scan(purl);
  if (split === null) return false;
  if (split === undefined) return undefined;
  const { typeEnd, nameStart, versionAt, pathEnd, query, fragment, encoded } = split;
  if (!isPurlType(purl, SCHEME.length, typeEnd)) return false;
  const nameEnd = versionAt === -1 ? pathEnd : versionAt;
  if (encoded) {
    const name = decoded(purl, nameStart + 1, nameEnd, true);
    if (
      name === null ||
      name.trim() === '' ||
      !decodable(purl, typeEnd + 1, nameStart) ||
      !decodable(purl, versionAt === -1 ? pathEnd : versionAt + 1, pathEnd) ||
      !decodable(purl, fragment + 1, purl.length)
    ) {
      return false;
    }
  } else if (nameStart + 1 === nameEnd) {
    return false;
  }
  if (query !== -1) {
    const verdict = readQualifiers(purl, query + 1, fragment, null);
    if (verdict !== true) return verdict;
  }
  const rule = TYPE_RULES.get(purl.slice(SCHEME.length, typeEnd).toLowerCase());
  return rule === undefined || rule(purl, split);
}

/** `[a-zA-Z.+-][a-zA-Z0-9.+-]*` (packageurl-js lower-cases it first, which keeps this true). */
function isPurlType(purl: string, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) {
    const code = purl.charCodeAt(index);
    const letter = (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a;
    const digit = code >= 0x30 && code <= 0x39 && index > start;
    if (!letter && !digit && code !== 0x2e && code !== 0x2b && code !== 0x2d) return false;
  }
  return true;
}

/**
 * Reads `key=value&…` from purl[start, end) into `into` (lower-cased key → trimmed value,
 * the last one winning), checking it as packageurl-js does: false when that refuses the
 * purl, undefined when a value's escapes are malformed, which only URLSearchParams' lenient
 * decoding (it keeps or replaces them) can settle.
 */
function readQualifiers(
  purl: string,
  start: number,
  end: number,
  into: Map<string, string> | null,
): boolean | undefined {
  for (let pair = start; pair < end; ) {
    let pairEnd = purl.indexOf('&', pair);
    if (pairEnd === -1 || pairEnd > end) pairEnd = end;
    let equals = purl.indexOf('=', pair);
    if (equals === -1 || equals > pairEnd) equals = pairEnd;
    if (into === null && isPlain(purl, pair, pairEnd)) {
      // Nothing to decode, and nothing a trim would remove: checked in place.
      if (equals + 1 < pairEnd && !isQualifierKey(purl, pair, equals)) return false;
    } else {
      const value = formDecoded(purl, equals + 1, pairEnd);
      if (value === null) return undefined;
      // packageurl-js runs decodeURIComponent once more on every decoded value.
      if (value.includes('%') && decoded(value, 0, value.length, true) === null) return false;
      const trimmed = value.trim();
      if (trimmed !== '') {
        // A key that decodeURIComponent refuses decodes leniently to one with a `%` or a
        // U+FFFD, which no key may hold: null fails the test like that key would.
        const key = formDecoded(purl, pair, equals)?.toLowerCase() ?? null;
        if (key === null || !isQualifierKey(key, 0, key.length)) return false;
        into?.set(key, trimmed);
      }
    }
    pair = pairEnd + 1;
  }
  return true;
}

/** Whether purl[start, end) holds neither `%` nor `+` (form decoding leaves it as it is). */
function isPlain(purl: string, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) {
    const code = purl.charCodeAt(index);
    if (code === PERCENT || code === PLUS) return false;
  }
  return true;
}

/**
 * application/x-www-form-urlencoded decoding of purl[start, end): `+` is a space, then
 * percent-decoding; null for a malformed escape, which decodeURIComponent refuses.
 */
function formDecoded(purl: string, start: number, end: number): string | null {
  const text = purl.slice(start, end);
  return decoded(text.includes('+') ? text.replaceAll('+', ' ') : text, 0, text.length, true);
}

/**
 * text[start, end) is a qualifier key: not starting with a digit, then ASCII letters, digits,
 * `.`, `-`, `_` (either case: lower-casing an ASCII key keeps this true or false).
 */
function isQualifierKey(text: string, start: number, end: number): boolean {
  for (let index = start; index < end; index += 1) {
    const code = text.charCodeAt(index);
    const letter = (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a;
    const digit = code >= 0x30 && code <= 0x39 && index > start;
    if (!letter && !digit && code !== 0x2e && code !== 0x2d && code !== 0x5f) return false;
  }
  return true;
}

/*
 * What the type rules read, decoded and normalised as packageurl-js does before them. Each
 * is only called on a purl fastPurlValidity has found decodable, so never yields null.
 */

/** The namespace, '' when it is empty once its `/`s are collapsed (normalizePath). */
function namespaceOf(purl: string, { typeEnd, nameStart, encoded }: PurlSplit): string {
  const namespace = decoded(purl, typeEnd + 1, nameStart, encoded) as string;
  for (let index = 0; index < namespace.length; index += 1) {
    if (namespace.charCodeAt(index) !== SLASH) return namespace;
  }
  return '';
}

function nameOf(purl: string, { nameStart, versionAt, pathEnd, encoded }: PurlSplit): string {
  const end = versionAt === -1 ? pathEnd : versionAt;
  return (decoded(purl, nameStart + 1, end, encoded) as string).trim();
}

function versionOf(purl: string, { versionAt, pathEnd, encoded }: PurlSplit): string {
  return versionAt === -1 ? '' : (decoded(purl, versionAt + 1, pathEnd, encoded) as string).trim();
}

function qualifiersOf(purl: string, { query, fragment }: PurlSplit): Map<string, string> {
  const qualifiers = new Map<string, string>();
  if (query !== -1) readQualifiers(purl, query + 1, fragment, qualifiers);
  return qualifiers;
}

// https://go.dev/doc/modules/version-numbers; the semver.org expression packageurl-js uses.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

type TypeRule = (purl: string, split: PurlSplit) => boolean;

/**
 * The type-specific rules of packageurl-js 2.0.1 (src/purl-type.js, `validate`; a missing
 * version or namespace and an empty one are the same to it).
 */
const TYPE_RULES = new Map<string, TypeRule>([
  [
    'conan',
    (purl, split) => {
      const qualifiers = qualifiersOf(purl, split);
      return namespaceOf(purl, split) === '' ? !qualifiers.has('channel') : qualifiers.size > 0;
    },
  ],
  ['cran', (purl, split) => versionOf(purl, split) !== ''],
  [
    'golang',
    (purl, split) => {
      const version = versionOf(purl, split);
      return !version.startsWith('v') || SEMVER.test(version.slice(1));
    },
  ],
  ['maven', (purl, split) => namespaceOf(purl, split) !== ''],
  ['mlflow', (purl, split) => namespaceOf(purl, split) === ''],
  ['oci', (purl, split) => namespaceOf(purl, split) === ''],
  // pub lower-cases the name and writes `-` as `_` before checking it.
  [
    'pub',
    (purl, split) => /^[a-z0-9_]*$/.test(nameOf(purl, split).toLowerCase().replaceAll('-', '_')),
  ],
  ['swift', (purl, split) => namespaceOf(purl, split) !== '' && versionOf(purl, split) !== ''],
]);

function slowValidity(purl: string): boolean {
  try {
    PackageURL.fromString(purl);
    return true;
  } catch {
    // PurlError, or the ReferenceError of packageurl-js's golang rule: refused either way.
    return false;
  }
}

/** Whether packageurl-js accepts the purl (`PackageURL.fromString` does not throw). */
export function isValidPurl(purl: string): boolean {
  return fastPurlValidity(purl) ?? slowValidity(purl);
}

/**
 * A purl that packageurl-js cannot parse becomes null (with one grouped warning): consumers
 * of the summary match findings and VEX statements by purl, and must be able to rely on
 * every non-null purl being parseable.
 */
export function checkedPurl(value: unknown, warnings: Warnings): string | null {
  if (typeof value !== 'string') return null;
  if (isValidPurl(value)) return value;
  warnings.tally(
    'invalid-purl',
    value,
    (count, examples) =>
      `purls that packageurl-js cannot parse, dropped (set to null): ${count} (${examples})`,
  );
  return null;
}
