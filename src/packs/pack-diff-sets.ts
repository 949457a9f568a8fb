/**
 * Ordering and set helpers shared by the diff sections. Comparison is by UTF-16 code unit,
 * never `localeCompare`: a diff must list the same entries in the same order on every
 * machine, whatever its locale.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The distinct values of `values` that are not in `other`, sorted. */
export function sortedDifference(values: Iterable<string>, other: Iterable<string>): string[] {
  const exclude = new Set(other);
  const out = new Set<string>();
  for (const value of values) if (!exclude.has(value)) out.add(value);
  return [...out].sort(compareText);
}

/** The first item of each key, in input order: a later duplicate never overrides an earlier one. */
export function indexFirst<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T> {
  const index = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    if (!index.has(key)) index.set(key, item);
  }
  return index;
}
