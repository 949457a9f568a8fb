/**
 * Linear replacement for JSON Schema `uniqueItems`. Ajv compares every pair of items
 * (10k components: ~40 s). Here scalars are looked up in a Map by value, and objects are
 * bucketed by their `bom-ref` / `ref` string or else by an allocation-free hash of their
 * own members (summed, so key order does not matter): deep-equal objects always share a
 * bucket. Only items sharing a bucket are compared, by canonical JSON.
 */

/** Below this length a pairwise comparison is cheaper than building hash maps. */
const SMALL = 8;

/** Index pair [first, duplicate] of the first repeated item, or null. */
export function findDuplicate(items: readonly unknown[]): [number, number] | null {
  if (items.length <= SMALL) return findDuplicatePairwise(items);
  let scalars: Map<unknown, number> | undefined;
  // Bucket → index of the first object in it; nothing is allocated per item.
  const firsts = new Map<string | number, number>();
  // Only for buckets shared by several items: canonical JSON → index.
  let shared: Map<string | number, Map<string, number>> | undefined;
  for (let index = 0; index < items.length; index += 1) {
    const item = items[index];
    if (!isContainer(item)) {
      scalars ??= new Map();
      const previous = scalars.get(item);
      if (previous !== undefined) return [previous, index];
      scalars.set(item, index);
      continue;
    }
    const key = bucketOf(item);
    const first = firsts.get(key);
    if (first === undefined) {
      firsts.set(key, index);
      continue;
    }
    shared ??= new Map();
    let canonical = shared.get(key);
    if (canonical === undefined) {
      canonical = new Map([[canonicalJson(items[first]), first]]);
      shared.set(key, canonical);
    }
    const form = canonicalJson(item);
    const previous = canonical.get(form);
    if (previous !== undefined) return [previous, index];
    canonical.set(form, index);
  }
  return null;
}

/**
 * The bucket of an object or array: deep-equal items always share one. CycloneDX's long
 * arrays (components, services, dependencies) hold objects that carry their identity in a
 * `bom-ref` or `ref` string, and a Map hashes such a string natively (and caches the hash
 * in it), far faster than hashing every member here. Other items get a numeric hash of
 * their own members, cut to 30 bits: a Smi, which a Map stores without allocating.
 */
export function bucketOf(item: object): string | number {
  const { 'bom-ref': bomRef, ref } = item as { 'bom-ref'?: unknown; ref?: unknown };
  if (typeof bomRef === 'string') return bomRef;
  if (typeof ref === 'string') return ref;
  return shallowHash(item) & 0x3fffffff;
}

// Most arrays in an SBOM hold one or two items (hashes, dependsOn, licences): comparing
// them pairwise allocates nothing, which matters with 10k components.
function findDuplicatePairwise(items: readonly unknown[]): [number, number] | null {
  for (let later = 1; later < items.length; later += 1) {
    for (let earlier = 0; earlier < later; earlier += 1) {
      if (deepEqual(items[earlier], items[later])) return [earlier, later];
    }
  }
  return null;
}

/** JSON deep equality, key order ignored. */
export function deepEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (!isContainer(left) || !isContainer(right)) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  if (Array.isArray(left)) {
    const other = right as unknown[];
    if (left.length !== other.length) return false;
    return left.every((item, index) => deepEqual(item, other[index]));
  }
  const a = left as Record<string, unknown>;
  const b = right as Record<string, unknown>;
  let count = 0;
  for (const key in a) {
    if (!Object.hasOwn(b, key) || !deepEqual(a[key], b[key])) return false;
    count += 1;
  }
  for (const _ in b) count -= 1;
  return count === 0;
}

export function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Strings up to this length are hashed whole; longer ones by their first and last
 * HASHED_END characters. Tails alone are not enough: Debian purls (`bom-ref`s and `ref`s)
 * end in the same `?arch=amd64&distro=debian-12` and differ in the middle.
 */
const HASHED_WHOLE = 64;
const HASHED_END = 32;

/** Hash of a string's length and characters (equal strings always hash equal). */
function hashString(text: string): number {
  const length = text.length;
  let hash = Math.imul(FNV_OFFSET ^ length, FNV_PRIME);
  const head = length <= HASHED_WHOLE ? length : HASHED_END;
  for (let index = 0; index < head; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME);
  }
  for (let index = Math.max(head, length - HASHED_END); index < length; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME);
  }
  return hash;
}

function memberHash(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return hashString(value);
    case 'number':
      return hashString(String(value)) ^ 0x2545f491;
    case 'boolean':
      return value ? 0x1b873593 : 0x5bd1e995;
    default:
      if (value === null) return 0x68e31da4;
      // Nested containers contribute their shape only; canonical JSON settles the rest.
      return Array.isArray(value) ? 0x27d4eb2f + value.length : 0x165667b1;
  }
}

/** Sum (order-independent) of per-member hashes; arrays hash by length. */
function shallowHash(value: object): number {
  if (Array.isArray(value)) return value.length;
  const record = value as Record<string, unknown>;
  let hash = 0x3c6ef372;
  for (const name in record) {
    const member = Math.imul(hashString(name) ^ memberHash(record[name]), FNV_PRIME);
    hash = (hash + member) | 0;
  }
  return hash;
}

/** JSON with object keys sorted, so that deep-equal values have equal strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isContainer(value)) {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}
