import { PackageURL } from 'packageurl-js';
import type { SbomComponent } from '../evidence/parsers/sbom/index.js';

/**
 * The identity of an SBOM component across two pack versions: what stays the same when the
 * component is upgraded. See docs/architecture/pack-diff.md ("Component identity").
 *
 * - With a purl: the canonical purl (packageurl-js normalisation: lower-case type, and the
 *   type-specific rules such as lower-case npm/GitHub names or `_`→`-` for PyPI) cut before its
 *   version, qualifiers and subpath, i.e. `pkg:type/namespace/name`. Qualifiers are left out
 *   because producers change them between releases without the component changing
 *   (`distro=centos-7.8` → `centos-7.9`, `repository_url`); two builds of one package that
 *   differ only by qualifier (`arch=x86_64` and `arch=i686`) share an identity and are kept
 *   apart by the multiset rule instead (pack-diff-components.ts).
 * - Without a purl (or with one nobody can parse): `name:` + the trimmed, lower-cased name.
 *   Lower-casing costs nothing: two distinct components differing only in case fall into one
 *   identity, where the multiset rule still counts each of them; without it, a producer that
 *   changed capitalisation between releases would show a removal and an addition.
 */
export function componentIdentity(component: Pick<SbomComponent, 'name' | 'purl'>): string {
  const fromPurl = component.purl === null ? null : purlIdentity(component.purl);
  return fromPurl ?? `name:${component.name.trim().toLowerCase()}`;
}

/** `pkg:type/namespace/name` of a purl, or null when the text is not a purl at all. */
export function purlIdentity(purl: string): string | null {
  let canonical: string;
  try {
    canonical = PackageURL.fromString(purl).toString();
  } catch {
    // parseSbom drops unparseable purls, so this serves bodies built elsewhere (and purls
    // packageurl-js rejects by mistake): the text as written, cut the same way.
    return roughIdentity(purl.trim());
  }
  // In the canonical form '@', '?' and '#' occur only as separators (elsewhere they are
  // percent-encoded), so the first one ends the name.
  return cutAtFirst(canonical, '@?#');
}

function roughIdentity(purl: string): string | null {
  const slash = purl.indexOf('/');
  if (!/^pkg:/i.test(purl) || slash < 0) return null;
  let rest = cutAtFirst(purl, '?#');
  // A raw npm purl may carry an unencoded '@' in its scope: only an '@' after the last '/'
  // starts the version.
  const at = rest.lastIndexOf('@');
  if (at > rest.lastIndexOf('/')) rest = rest.slice(0, at);
  return rest.slice(0, slash).toLowerCase() + rest.slice(slash);
}

function cutAtFirst(text: string, separators: string): string {
  for (let i = 0; i < text.length; i++) {
    if (separators.includes(text.charAt(i))) return text.slice(0, i);
  }
  return text;
}
