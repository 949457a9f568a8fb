import { PackageURL } from 'packageurl-js';
import type { Warnings } from './warnings.js';

export function isValidPurl(purl: string): boolean {
  try {
    PackageURL.fromString(purl);
    return true;
  } catch {
    return false;
  }
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
