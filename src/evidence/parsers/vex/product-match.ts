import type { PackageURL } from 'packageurl-js';
import { parsePurl } from '../scan/cyclonedx-components.js';
import type { Finding } from '../scan/types.js';

/** A statement product prepared once: its purl identity (when it is a purl) and raw text. */
export interface ProductKey {
  raw: string;
  purl: string | null;
}

/**
 * Purl identity without qualifiers and subpath (`?arch=…&distro=…` differ between a scanner and
 * a vendor's VEX for the same package). The version stays: a statement about 1.2.3 says nothing
 * about 1.2.4, and a versionless purl matches only a versionless one (conservative: a VEX must
 * not hide findings it did not name).
 */
export function purlIdentity(value: string): string | null {
  const purl: PackageURL | null = parsePurl(value);
  if (purl === null) return null;
  return [purl.type, purl.namespace ?? '', purl.name, purl.version ?? ''].join('\u0000');
}

export function productKey(product: string): ProductKey {
  return { raw: product, purl: product.startsWith('pkg:') ? purlIdentity(product) : null };
}

/** Does a statement product name this finding (purl identity, exact purl, or name@version)? */
export function productMatches(
  product: ProductKey,
  finding: Finding,
  findingPurl: string | null,
): boolean {
  if (product.purl !== null && findingPurl !== null && product.purl === findingPurl) return true;
  if (finding.purl !== null && product.raw === finding.purl) return true;
  const nameVersion =
    finding.installed_version === null
      ? finding.package
      : `${finding.package}@${finding.installed_version}`;
  return product.raw === nameVersion;
}
