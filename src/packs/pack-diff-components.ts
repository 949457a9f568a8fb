import type { SbomComponent, SbomSummary } from '../evidence/parsers/sbom/index.js';
import { componentIdentity } from './pack-diff-identity.js';
import { compareText, sortedDifference } from './pack-diff-sets.js';
import type { ComponentChange, ComponentRef, ComponentsDiff } from './pack-diff-types.js';

/**
 * Compares the SBOM components of two packs. An identity (pack-diff-identity.ts) holds a
 * multiset of versions, because one SBOM may list a package several times (npm trees nest
 * several copies; rpm lists one per architecture):
 *
 * 1. Versions on both sides cancel out, occurrence by occurrence (`{1, 1, 2}` against `{1, 3}`
 *    cancels one `1`): each cancelled pair is one unchanged component.
 * 2. If exactly one version is left on each side, the identity moved from one to the other:
 *    one `changed` entry.
 * 3. Otherwise every leftover before is `removed` and every leftover after is `added`
 *    (`{1, 2}` → `{3, 4}` is two removals and two additions: which copy became which is a
 *    guess the diff does not make).
 *
 * So `unchanged + changed + removed = |before|` and `unchanged + changed + added = |after|`,
 * hence `added − removed = |after| − |before|` with no correction for `changed`.
 * Versions compare as exact strings (`v1.2.0` ≠ `1.2.0`; null is a version of its own).
 * Linear: two Map passes per side, then sorting the (usually short) output lists.
 */
export function diffComponents(
  before: SbomSummary | null,
  after: SbomSummary | null,
): ComponentsDiff {
  const byKeyBefore = groupByIdentity(before?.components ?? []);
  const byKeyAfter = groupByIdentity(after?.components ?? []);
  const added: ComponentRef[] = [];
  const removed: ComponentRef[] = [];
  const changed: ComponentChange[] = [];
  let unchanged = 0;

  for (const key of new Set([...byKeyBefore.keys(), ...byKeyAfter.keys()])) {
    const was = byKeyBefore.get(key) ?? [];
    const now = byKeyAfter.get(key) ?? [];
    const { common, leftover: gone } = cancelVersions(was, now);
    const { leftover: arrived } = cancelVersions(now, was);
    unchanged += common;
    if (gone.length === 1 && arrived.length === 1) {
      const [from] = gone as [ComponentRef];
      const [to] = arrived as [ComponentRef];
      changed.push({
        key,
        name: to.name,
        from_version: from.version,
        to_version: to.version,
        from_purl: from.purl,
        to_purl: to.purl,
      });
    } else {
      removed.push(...gone);
      added.push(...arrived);
    }
  }

  return {
    added: added.sort(compareRefs),
    removed: removed.sort(compareRefs),
    changed: changed.sort((a, b) => compareText(a.key, b.key)),
    unchanged_count: unchanged,
    licenses: {
      added: sortedDifference(after?.licenses ?? [], before?.licenses ?? []),
      removed: sortedDifference(before?.licenses ?? [], after?.licenses ?? []),
    },
  };
}

function groupByIdentity(components: readonly SbomComponent[]): Map<string, ComponentRef[]> {
  const groups = new Map<string, ComponentRef[]>();
  for (const c of components) {
    const key = componentIdentity(c);
    const ref: ComponentRef = { key, name: c.name, version: c.version, purl: c.purl };
    const group = groups.get(key);
    if (group) group.push(ref);
    else groups.set(key, [ref]);
  }
  return groups;
}

/**
 * The occurrences of `side` that `other` does not match, in document order: the first
 * `min(count in side, count in other)` occurrences of each version are matched. Called once
 * per side with the same rule, so the result does not depend on which pack comes first.
 */
function cancelVersions(
  side: readonly ComponentRef[],
  other: readonly ComponentRef[],
): { common: number; leftover: ComponentRef[] } {
  const available = countVersions(other);
  const leftover: ComponentRef[] = [];
  let common = 0;
  for (const ref of side) {
    const left = available.get(ref.version) ?? 0;
    if (left > 0) {
      available.set(ref.version, left - 1);
      common++;
    } else {
      leftover.push(ref);
    }
  }
  return { common, leftover };
}

function countVersions(refs: readonly ComponentRef[]): Map<string | null, number> {
  const counts = new Map<string | null, number>();
  for (const ref of refs) counts.set(ref.version, (counts.get(ref.version) ?? 0) + 1);
  return counts;
}

function compareRefs(a: ComponentRef, b: ComponentRef): number {
  return (
    compareText(a.key, b.key) ||
    compareNullable(a.version, b.version) ||
    compareNullable(a.purl, b.purl) ||
    compareText(a.name, b.name)
  );
}

/** null sorts first, so the order stays total even between a null and an empty string. */
function compareNullable(a: string | null, b: string | null): number {
  if (a === null || b === null) return Number(a !== null) - Number(b !== null);
  return compareText(a, b);
}
