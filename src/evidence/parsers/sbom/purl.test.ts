import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { generateCycloneDx } from '../../../../bench/generators/cyclonedx.js';
import { parseSbom } from './index.js';
import { checkedPurl, fastPurlValidity, isValidPurl, type PurlSplit, splitPurl } from './purl.js';
import { Warnings } from './warnings.js';

const corpus = path.resolve(process.cwd(), '../shared/corpus');

function packageurlAccepts(purl: string): boolean {
  try {
    PackageURL.fromString(purl);
    return true;
  } catch {
    return false;
  }
}

/** Every distinct purl string in the corpus files (SBOMs, scans, VEX documents). */
function corpusPurls(): string[] {
  const found = new Set<string>();
  const pending = [corpus];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) {
        pending.push(file);
        continue;
      }
      for (const [literal] of readFileSync(file, 'utf8').matchAll(/"pkg:(?:[^"\\]|\\.)*"/g)) {
        found.add(JSON.parse(literal) as string);
      }
    }
  }
  return [...found];
}

/** The purl's parts cut at splitPurl's offsets and decoded, as PackageURL.parseString gives them. */
function partsAt(purl: string, split: PurlSplit) {
  const { typeEnd, nameStart, versionAt, pathEnd, query, fragment } = split;
  const nameEnd = versionAt === -1 ? pathEnd : versionAt;
  return {
    type: purl.slice('pkg:'.length, typeEnd),
    namespace:
      nameStart === typeEnd ? undefined : decodeURIComponent(purl.slice(typeEnd + 1, nameStart)),
    name: decodeURIComponent(purl.slice(nameStart + 1, nameEnd)),
    version: versionAt === -1 ? undefined : decodeURIComponent(purl.slice(versionAt + 1, pathEnd)),
    // A leading `&` is skipped, where the constructor would drop a leading `?` of the query.
    qualifiers: [...new URLSearchParams(query === -1 ? '' : `&${purl.slice(query + 1, fragment)}`)],
    subpath: fragment + 1 < purl.length ? decodeURIComponent(purl.slice(fragment + 1)) : undefined,
  };
}

function parsedByPackageurl(purl: string) {
  const [type, namespace, name, version, qualifiers, subpath] = PackageURL.parseString(purl);
  return {
    type,
    namespace,
    name,
    version,
    qualifiers: [...((qualifiers as URLSearchParams | undefined) ?? [])],
    subpath,
  };
}

// Pieces of purls: the separators, escapes (valid, malformed, `%25`, multi-byte, invalid
// UTF-8), characters the URL parser would change, and the names the type rules look at.
const piece = fc.constantFrom(
  ...['a', 'Z', '0', '9', '-', '.', '_', '~', '/', '@', '%', '%2F', '%40', '%20', '%25'],
  ...['%2525', '%zz', '%C3', '%C3%A9', '%E2%84%AA', '%2B', '+', ' ', ':', '!', '$', "'"],
  ...['(', ')', '*', ',', ';', '=', '\\', '[', ']', '{', '}', '|', '^', 'é', '\t', '"'],
  ...['<', '>', '`', '?', '#', '&', 'v', '1.2.3', '..', '\u00a0', '\ud800'],
);
const text = fc.array(piece, { maxLength: 5 }).map((pieces) => pieces.join(''));
const purlLike = fc
  .record({
    scheme: fc.constantFrom('pkg:', 'pkg:', 'pkg:', 'PKG:', 'pkg:/', 'pkg://', ' pkg:', 'pkgx:'),
    type: fc.oneof(
      fc.constantFrom('npm', 'maven', 'golang', 'conan', 'cran', 'swift', 'pub', 'oci'),
      fc.constantFrom('mlflow', 'pypi', 'Maven', 'c++', '1abc', 'a_b', '%6Epm', ''),
    ),
    namespace: fc.array(fc.oneof(text, fc.constantFrom('', '/', 'org')), { maxLength: 2 }),
    name: fc.oneof(text, fc.constantFrom('name', 'Ab-c', '%20')),
    version: fc.option(fc.oneof(text, fc.constantFrom('v1.2.3', 'vX', '1.0', ''))),
    qualifiers: fc.option(
      fc.array(
        fc.tuple(
          fc.oneof(text, fc.constantFrom('channel', 'arch', '1a', 'a b', '%41', 'k%zz', '')),
          fc.option(fc.oneof(text, fc.constantFrom('', ' ', 'x', '%2520', '%%34%31'))),
        ),
        { maxLength: 3 },
      ),
    ),
    subpath: fc.option(text),
  })
  .map(({ scheme, type, namespace, name, version, qualifiers, subpath }) => {
    let purl = `${scheme}${type}/${namespace.map((segment) => `${segment}/`).join('')}${name}`;
    if (version !== null) purl += `@${version}`;
    if (qualifiers !== null) {
      purl += `?${qualifiers.map(([key, value]) => (value === null ? key : `${key}=${value}`)).join('&')}`;
    }
    if (subpath !== null) purl += `#${subpath}`;
    return purl;
  });
const anyPurl = fc.oneof(
  { weight: 6, arbitrary: purlLike },
  { weight: 1, arbitrary: fc.string().map((tail) => `pkg:${tail}`) },
  { weight: 1, arbitrary: fc.string() },
);

describe('fastPurlValidity', () => {
  it('decides every purl of the corpus, as packageurl-js does', () => {
    const purls = corpusPurls();
    expect(purls.length).toBeGreaterThan(1_000);
    for (const purl of purls) {
      expect(fastPurlValidity(purl), purl).toBe(packageurlAccepts(purl));
      expect(fastPurlValidity(purl), purl).toBe(true);
    }
  });

  it('decides every purl of the bench generator', () => {
    const bom = JSON.parse(generateCycloneDx(300, 4)) as { components: { purl: string }[] };
    for (const { purl } of bom.components) expect(fastPurlValidity(purl), purl).toBe(true);
  });

  it.each([
    // Names, namespaces, versions and subpaths, encoded or not.
    ['pkg:npm/%40angular/core@16.0.0', true],
    ['pkg:npm/a%41#b%2Fc', true],
    ['pkg:npm/@scope', true], // an `@` right after a `/` starts no version
    ['pkg:npm/a/@1', true],
    ['pkg:.a+b-c/x', true],
    ['pkg:', false],
    ['pkg:npm', false],
    ['pkg:npm?a=/b', false], // the only `/` is in the query
    ['pkg:npm/', false],
    ['pkg:npm/a/', false],
    ['pkg:npm/%20', false], // blank once decoded and trimmed
    ['pkg:npm/%zz', false],
    ['pkg:npm/%zz/a', false],
    ['pkg:npm/a@%zz', false],
    ['pkg:npm/a#%zz', false],
    ['pkg:1npm/a', false],
    ['pkg:n_pm/a', false],
    // Qualifiers.
    ['pkg:deb/debian/a@1?arch=amd64&distro=debian-12', true],
    ['pkg:npm/a?1x=y', false],
    ['pkg:npm/a?1x=', true], // an empty value drops the pair, key and all
    ['pkg:npm/a?1x=%20', true],
    ['pkg:npm/a?=y', true],
    ['pkg:npm/a?&&flag', true],
    ['pkg:npm/a?k=a+b', true],
    ['pkg:npm/a?k=%2525', true],
    ['pkg:npm/a?k=%25', false], // decoded twice: "%" alone
    ['pkg:npm/a?k+y=1', false],
    ['pkg:npm/a?k%zz=1', false],
    ['pkg:npm/a?%4B=v', true],
    ['pkg:npm/a?%E2%84%AA=v', true], // the Kelvin sign lower-cases to "k"
    ['pkg:npm/a?k=v?w#s#t?u', true], // only the first `?` and `#` separate
    // The type rules.
    ['pkg:conan/a@1?channel=stable', false],
    ['pkg:conan/a@1?channel=', true],
    ['pkg:conan/a@1', true],
    ['pkg:conan/ns/a@1', false],
    ['pkg:conan/ns/a@1?user=%78', true],
    ['pkg:cran/a@1', true],
    ['pkg:cran/a', false],
    ['pkg:cran/a@', false],
    ['pkg:golang/github.com/a/b@v1.2.3-rc.1', true],
    ['pkg:golang/a@1.2', true],
    ['pkg:golang/a', true],
    ['pkg:golang/a@vbad', false],
    ['pkg:maven/g/a@1', true],
    ['pkg:Maven/g/a@1', true],
    ['pkg:maven/a@1', false],
    ['pkg:maven///a@1', false],
    ['pkg:mlflow/a', true],
    ['pkg:mlflow/ns/a', false],
    ['pkg:oci/a@sha256%3Aabc', true],
    ['pkg:oci/ns/a', false],
    ['pkg:pub/Foo-bar', true],
    ['pkg:pub/foo.bar', false],
    ['pkg:pub/foo_bar@1.0', true],
    ['pkg:swift/ns/a@1', true],
    ['pkg:swift/a@1', false],
    ['pkg:swift/ns/a', false],
  ])('%s → %s, as packageurl-js says', (purl, valid) => {
    expect(packageurlAccepts(purl)).toBe(valid);
    expect(fastPurlValidity(purl)).toBe(valid);
  });

  it.each([
    'PKG:npm/a',
    'pkg:/npm/a',
    'pkg://npm/a',
    ' pkg:npm/a',
    'pkg:npm/a b',
    'pkg:npm/é',
    'pkg:%6Epm/a',
    'pkg:npm/a?k=%%34%31', // URLSearchParams decodes this to "%41", then to "A"
    'pkg:npm/a?k=%C3%28',
    'not a purl',
  ])('leaves %j to packageurl-js', (purl) => {
    expect(fastPurlValidity(purl)).toBeUndefined();
    expect(isValidPurl(purl)).toBe(packageurlAccepts(purl));
  });

  it('agrees with packageurl-js whenever it decides', () => {
    fc.assert(
      fc.property(anyPurl, (purl) => {
        const fast = fastPurlValidity(purl);
        if (fast !== undefined) expect(fast).toBe(packageurlAccepts(purl));
        expect(isValidPurl(purl)).toBe(packageurlAccepts(purl));
      }),
      { numRuns: 3_000 },
    );
  });

  it('cuts a purl with a well-formed type where packageurl-js does', () => {
    fc.assert(
      fc.property(anyPurl, (purl) => {
        const split = splitPurl(purl);
        if (split === undefined) return;
        if (split === null) {
          expect(packageurlAccepts(purl)).toBe(false);
          return;
        }
        // A malformed type (`pkg:@/`) is refused before the offsets after it are used.
        if (!/^[a-z.+-][a-z0-9.+-]*$/i.test(purl.slice('pkg:'.length, split.typeEnd))) return;
        let expected: ReturnType<typeof parsedByPackageurl>;
        try {
          expected = parsedByPackageurl(purl);
        } catch {
          return; // something does not decode: the purl is refused, as checked above
        }
        expect(partsAt(purl, split)).toEqual(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  it('reports the parts of a purl by offset', () => {
    const purl = 'pkg:maven/org.acme/lib@1.0?type=jar#src/main';
    expect(splitPurl(purl)).toEqual({
      typeEnd: 9,
      nameStart: 18,
      versionAt: 22,
      pathEnd: 26,
      query: 26,
      fragment: 35,
      encoded: false,
    });
    expect(partsAt(purl, splitPurl(purl) as PurlSplit)).toEqual(parsedByPackageurl(purl));
    expect(splitPurl('pkg:npm')).toBeNull();
    expect(splitPurl('PKG:npm/a')).toBeUndefined();
  });
});

describe('checkedPurl', () => {
  it('drops a golang "v" version that is not semver, like packageurl-js (which throws a ReferenceError)', () => {
    const purl = 'pkg:golang/github.com/acme/lib@vnext';
    expect(() => PackageURL.fromString(purl)).toThrow(ReferenceError);
    const warnings = new Warnings();
    expect(checkedPurl(purl, warnings)).toBeNull();
    expect(warnings.toArray()).toEqual([
      `purls that packageurl-js cannot parse, dropped (set to null): 1 ("${purl}")`,
    ]);
    const parsed = parseSbom(
      Buffer.from(
        JSON.stringify({
          bomFormat: 'CycloneDX',
          specVersion: '1.5',
          components: [{ type: 'library', name: 'lib', purl }],
        }),
      ),
    );
    expect(parsed.summary.components[0]?.purl).toBeNull();
    expect(parsed.warnings).toEqual(warnings.toArray());
  });

  it('keeps what packageurl-js accepts, through its own parser outside the fast path', () => {
    const warnings = new Warnings();
    expect(checkedPurl('PKG:npm/a@1', warnings)).toBe('PKG:npm/a@1');
    expect(checkedPurl(42, warnings)).toBeNull();
    expect(warnings.toArray()).toEqual([]);
  });
});
