import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** RFC 8785 (JCS) canonical JSON text of a value. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) {
    throw new TypeError('value has no JSON representation');
  }
  return text;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The canonical JSON text of each member of a plain object, by key (members canonicalJson
 * leaves out, undefined or symbol, are left out), so several objects sharing most members can
 * be written out without canonicalizing the shared members again (see joinCanonicalMembers).
 */
export function canonicalMembers(value: object): Map<string, string> {
  const members = new Map<string, string>();
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined || typeof member === 'symbol') continue;
    members.set(key, canonicalJson(member));
  }
  return members;
}

/**
 * The canonical JSON text of the object with these members: RFC 8785 sorts keys by UTF-16
 * code units (the default sort) and canonicalizes values independently of their siblings,
 * so this is exactly canonicalJson of that object.
 */
export function joinCanonicalMembers(members: ReadonlyMap<string, string>): string {
  const parts: string[] = [];
  for (const key of [...members.keys()].sort()) {
    parts.push(`${canonicalJson(key)}:${members.get(key)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Whether two values parsed from JSON are the same JSON value, i.e. have the same RFC 8785
 * text, found without writing either text out.
 */
export function sameJsonValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJsonValue(a[i], b[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(right, key) || !sameJsonValue(left[key], right[key])) return false;
  }
  return true;
}

/** SHA-256 (hex) of the RFC 8785 canonical JSON of a value. */
export function canonicalDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
