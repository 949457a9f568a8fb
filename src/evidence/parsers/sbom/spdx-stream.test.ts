import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateSpdx } from '../../../../bench/generators/spdx.js';
import { parseSbom, parseSbomStream } from './index.js';
import { parseSpdxStream } from './spdx-stream.js';
import { describesApp, doc, pkg, rel } from './spdx-test-documents.js';
import {
  chunked,
  corpus,
  fixtures,
  type Json,
  jsonFiles,
  outcomeOf,
  reordered,
  streamEquivalence,
} from './stream-test-fixture.js';

const { expectSameAsWhole, expectRejected, expectParsed, comparisons } =
  streamEquivalence(parseSpdxStream);

function purl(locator: string): Json {
  return {
    externalRefs: [
      { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: locator },
    ],
  };
}

function generated(count: number, seed = 1): Json {
  return JSON.parse(generateSpdx(count, seed)) as Json;
}

/** Every file of `dir` that is SPDX JSON, by its text. */
function spdxFiles(files: string[]): string[] {
  return files.filter((file) => /"spdxVersion"/.test(readFileSync(file, 'utf8')));
}

describe('parseSpdxStream over the corpus', () => {
  const files = spdxFiles([...jsonFiles(corpus), ...jsonFiles(fixtures)]);

  it('finds the SPDX documents of the corpus and the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of files) {
    it(`answers as parseSbom for ${path.basename(file)}`, () => {
      const bytes = readFileSync(file);
      expect(expectSameAsWhole(bytes)).not.toBe('fallback');
      // The same document pretty-printed differently, and with its members in reverse order.
      const document = JSON.parse(bytes.toString('utf8')) as Json;
      expectParsed(JSON.stringify(reordered(document, Object.keys(document).reverse()), null, 1));
    });
  }
});

describe('parseSbomStream over the whole corpus', () => {
  const files = [...jsonFiles(corpus), ...jsonFiles(fixtures)];

  it.each(files.map((file) => [path.relative(corpus, file), file]))(
    'answers as parseSbom for %s, or leaves it to parseSbom',
    (_, file) => {
      const bytes = readFileSync(file);
      const answer = expectSameAsWhole(bytes, undefined, [64 * 1024], parseSbomStream);
      if (answer === 'fallback') {
        // Only attestations and documents that are neither CycloneDX nor SPDX are left.
        const text = bytes.toString('utf8');
        expect(/"payloadType"|"_type"/.test(text) || !/"bomFormat"|"spdxVersion"/.test(text)).toBe(
          true,
        );
      }
    },
  );

  it('dispatches on the requested format', () => {
    const spdx = generateSpdx(5, 2);
    expectSameAsWhole(spdx, { format: 'spdx' }, [7], parseSbomStream);
    const cdx = readFileSync(path.join(fixtures, 'npm-sbom.cdx.json'));
    expectSameAsWhole(cdx, { format: 'cyclonedx' }, [7], parseSbomStream);
    // No spdxVersion: left to parseSbom, which refuses it.
    expect(expectSameAsWhole(cdx, { format: 'spdx' }, [7], parseSbomStream)).toBe('fallback');
    expect(expectSameAsWhole(cdx, { format: 'x' as 'spdx' }, [7], parseSbomStream)).toBe(
      'fallback',
    );
  });

  it('finds the first syntax error before any format member', () => {
    for (const text of ['{"a":[1,tru],"spdxVersion":"SPDX-2.3"', '{"a":1 "b"}', '{"a":[}']) {
      expectSameAsWhole(text, undefined, [1, 64], parseSbomStream);
    }
    expect(expectSameAsWhole('[]', undefined, [1], parseSbomStream)).toBe('fallback');
    expect(
      expectSameAsWhole(
        '{"bomFormat":1,"bomFormat":2,"x":[1,tru]}',
        undefined,
        [3],
        parseSbomStream,
      ),
    ).toBe('fallback');
    expect(expectSameAsWhole('{"x":{}}', undefined, [3], parseSbomStream)).toBe('fallback');
  });
});

describe('parseSpdxStream over generated documents', () => {
  it.each([0, 1, 60, 700])('matches parseSbom on %i packages', (count) => {
    const parsed = expectParsed(generateSpdx(count, count + 1));
    expect(parsed.summary.component_count).toBe(count);
  });

  it('matches parseSbom on a pretty-printed document with a BOM', () => {
    expectParsed(`\uFEFF${JSON.stringify(generated(25, 4), null, 2)}`);
  });

  it('matches parseSbom whatever the order of the members', () => {
    const document = generated(40, 5);
    for (const order of [
      ['relationships', 'files', 'packages'],
      ['relationships', 'SPDXID'],
      ['files', 'relationships', 'spdxVersion', 'packages'],
      ['packages', 'relationships', 'files', 'SPDXID', 'dataLicense'],
    ]) {
      expectParsed(JSON.stringify(reordered(document, order), null, 2));
    }
  });

  it('matches parseSbom when the DESCRIBES relationship comes last, or is DESCRIBED_BY', () => {
    const document = generated(30, 6);
    const relationships = document.relationships as Json[];
    const [describes, ...rest] = relationships;
    expectParsed(JSON.stringify({ ...document, relationships: [...rest, describes] }));
    const describedBy = rel(
      'SPDXRef-Package-bench-application',
      'DESCRIBED_BY',
      'SPDXRef-DOCUMENT',
    );
    const parsed = expectParsed(
      JSON.stringify(
        reordered({ ...document, relationships: [...rest, describedBy] }, ['relationships']),
      ),
    );
    expect(parsed.summary.direct_dependency_count).toBe(3);
  });

  it('matches parseSbom on documentDescribes against DESCRIBES relationships', () => {
    const packages = [pkg('app'), pkg('lib'), pkg('tool'), pkg('other')];
    const relationships = [
      rel('app', 'DEPENDS_ON', 'lib'),
      rel('lib', 'DEPENDENCY_OF', 'tool'),
      rel('SPDXRef-DOCUMENT', 'DESCRIBES', 'tool'),
      rel('SPDXRef-DOCUMENT', 'DESCRIBES', 'file1'),
      rel('lib', 'DESCRIBES', 'other'),
    ];
    const files = [{ SPDXID: 'SPDXRef-file1' }];
    for (const documentDescribes of [
      undefined,
      [],
      ['SPDXRef-app'],
      ['SPDXRef-nowhere', 'SPDXRef-app'],
    ]) {
      const document = doc({ documentDescribes, packages, files, relationships });
      expectParsed(JSON.stringify(document));
      expectParsed(JSON.stringify(reordered(document, ['relationships', 'files', 'packages'])));
    }
  });

  it('matches parseSbom on documents without a root, or with described files only', () => {
    expectParsed(JSON.stringify(doc({ packages: [pkg('a'), pkg('b')] })));
    expectParsed(
      JSON.stringify(
        doc({
          packages: [pkg('a')],
          files: [{ SPDXID: 'SPDXRef-f' }],
          relationships: [rel('SPDXRef-DOCUMENT', 'DESCRIBES', 'f'), rel('a', 'DEPENDS_ON', 'f')],
        }),
      ),
    );
    expectParsed(JSON.stringify(doc()));
    expectParsed(JSON.stringify(doc({ packages: [], files: [], snippets: [], relationships: [] })));
  });

  it('matches parseSbom on dangling, foreign and unknown relationships', () => {
    const document = doc({
      documentDescribes: ['SPDXRef-app'],
      packages: [pkg('app'), pkg('lib')],
      snippets: [{ SPDXID: 'SPDXRef-snip' }],
      relationships: [
        rel('app', 'DEPENDS_ON', 'gone1'),
        rel('gone2', 'DEPENDENCY_OF', 'app'),
        rel('app', 'DEPENDS_ON', 'DocumentRef-other:SPDXRef-x'),
        rel('app', 'CONTAINS', 'NONE'),
        rel('app', 'FRIEND_OF', 'lib'),
        rel('app', 'DEPENDS_ON', 'lib'),
        rel('snip', 'SNIPPET_OF', 'NOASSERTION'),
        rel('gone3', 'DEPENDS_ON', 'gone4'),
        rel('gone5', 'BUILD_DEPENDENCY_OF', 'app'),
      ],
    });
    const parsed = expectParsed(JSON.stringify(document));
    expect(parsed.warnings.length).toBeGreaterThanOrEqual(2);
    expectParsed(JSON.stringify(reordered(document, ['relationships', 'snippets'])));
  });

  it('matches parseSbom on several described packages and unknown described elements', () => {
    const document = doc({
      documentDescribes: ['SPDXRef-gone', 'SPDXRef-b', 'SPDXRef-a'],
      packages: [
        pkg('a', purl('not a purl')),
        pkg('b', purl('also bad')),
        pkg('c', purl('pkg:npm/c@1')),
      ],
      relationships: [rel('a', 'DEPENDS_ON', 'c'), rel('SPDXRef-DOCUMENT', 'DESCRIBES', 'c')],
    });
    const parsed = expectParsed(JSON.stringify(document));
    expect(parsed.summary.root?.name).toBe('b');
    expectParsed(JSON.stringify(reordered(document, ['relationships', 'packages'])));
  });

  it('matches parseSbom on SPDX ids with "_" as npm sbom writes them, and odd documents', () => {
    const document = doc({
      SPDXID: 'SPDXRef-DOC_1',
      dataLicense: 'MIT',
      documentDescribes: ['SPDXRef-app_1'],
      packages: [pkg('app_1'), pkg('lib_2'), pkg('lib_3'), pkg('lib_4'), pkg('lib_5')],
      files: [{ SPDXID: 'SPDXRef-file_1' }],
      relationships: [
        rel('SPDXRef-DOC_1', 'DESCRIBES', 'lib_2'),
        rel('lib_2', 'DEV_DEPENDENCY_OF', 'app_1'),
      ],
    });
    const parsed = expectParsed(JSON.stringify(document));
    expect(parsed.warnings.join('\n')).toMatch(/npm sbom emits "_"/);
    expectParsed(
      JSON.stringify(reordered(document, ['files', 'relationships', 'packages', 'SPDXID'])),
    );
  });

  it('matches parseSbom on licences, purls, hashes and missing download locations', () => {
    const { downloadLocation: _, ...noDownload } = pkg('nodl');
    const document = doc({
      packages: [
        pkg('a', {
          licenseConcluded: ' MIT ',
          licenseDeclared: 'MIT',
          checksums: [
            { algorithm: 'SHA256', checksumValue: 'ABCDEF' },
            { algorithm: 'MD5', checksumValue: 'abc' },
          ],
          primaryPackagePurpose: 'LIBRARY',
          ...purl('pkg:npm/a@1'),
        }),
        pkg('b', { licenseConcluded: 'NONE', licenseDeclared: 'not ( valid', versionInfo: '2' }),
        pkg('c', {
          licenseConcluded: 'NOASSERTION',
          licenseDeclared: 'Apache-2.0 OR MIT',
          externalRefs: [
            {
              referenceCategory: 'SECURITY',
              referenceType: 'cpe23Type',
              referenceLocator: 'cpe:x',
            },
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: 'bad',
            },
          ],
        }),
        { ...noDownload, ...purl('pkg:pypi/nodl@1') },
        pkg('d', { licenseDeclared: '' }),
      ],
    });
    expectParsed(JSON.stringify(document));
  });
});

describe('parseSpdxStream: invalid documents', () => {
  const base = doc({
    documentDescribes: ['SPDXRef-app'],
    packages: [pkg('app'), pkg('lib'), pkg('lib2')],
    files: [{ SPDXID: 'SPDXRef-f1' }, { SPDXID: 'SPDXRef-f2' }],
    snippets: [{ SPDXID: 'SPDXRef-s1' }, { SPDXID: 'SPDXRef-s2' }],
    relationships: [rel('app', 'DEPENDS_ON', 'lib'), describesApp, rel('lib', 'CONTAINS', 'f1')],
  });
  type Edit = (document: Json) => void;
  const at =
    (array: string, index: number, value: unknown): Edit =>
    (document) => {
      (document[array] as unknown[])[index] = value;
    };

  it.each<[string, Edit]>([
    ['a package without a name', at('packages', 1, { SPDXID: 'SPDXRef-lib' })],
    ['a package with a bad SPDXID', at('packages', 2, { SPDXID: 'lib2', name: 'x' })],
    ['a package that is no object', at('packages', 0, 'app')],
    [
      'a package with a bad checksum',
      at('packages', 1, pkg('lib', { checksums: [{ algorithm: 1 }] })),
    ],
    ['a file without SPDXID', at('files', 1, {})],
    ['a snippet with a bad SPDXID', at('snippets', 0, { SPDXID: 7 })],
    [
      'a relationship without a type',
      at('relationships', 2, { spdxElementId: 'a', relatedSpdxElement: 'b' }),
    ],
    [
      'a relationship with an empty end',
      at('relationships', 0, { ...rel('a', 'DEPENDS_ON', 'x'), spdxElementId: '' }),
    ],
    [
      'packages that are no array',
      (d) => {
        d.packages = { 0: pkg('app') };
      },
    ],
    [
      'relationships that are null',
      (d) => {
        d.relationships = null;
      },
    ],
    [
      'no documentNamespace',
      (d) => {
        delete d.documentNamespace;
      },
    ],
    [
      'a bad documentDescribes',
      (d) => {
        d.documentDescribes = [1];
      },
    ],
    ['a repeated package id', at('packages', 2, pkg('lib'))],
    ['a file repeating a package id', at('files', 1, { SPDXID: 'SPDXRef-app' })],
    ['a snippet repeating the document id', at('snippets', 1, { SPDXID: 'SPDXRef-DOCUMENT' })],
    ['a snippet repeating a file id', at('snippets', 1, { SPDXID: 'SPDXRef-f2' })],
  ])('rejects %s as parseSbom does, whatever the member order', (_, edit) => {
    const document = structuredClone(base);
    edit(document);
    for (const order of [
      [],
      ['relationships', 'snippets', 'files', 'packages'],
      ['snippets', 'SPDXID'],
    ]) {
      expectRejected(JSON.stringify(reordered(document, order)), 'invalid_structure');
    }
  });

  it('rejects the first invalid item of each array, and several at once, as parseSbom does', () => {
    const document = structuredClone(base);
    at('packages', 2, { name: 'x' })(document);
    at('relationships', 1, {})(document);
    at('files', 0, { SPDXID: 'x' })(document);
    for (const order of [[], ['relationships', 'files', 'packages'], ['files', 'packages']]) {
      const error = expectRejected(JSON.stringify(reordered(document, order)), 'invalid_structure');
      expect(error.errors[0]?.path).toBe('/packages/2/SPDXID');
    }
    delete (document.packages as Json[])[2];
    (document.packages as unknown[])[2] = pkg('lib2');
    const error = expectRejected(JSON.stringify(document), 'invalid_structure');
    expect(error.errors[0]?.path).toBe('/files/0/SPDXID');
  });

  it('refuses what parseSbom refuses before validating', () => {
    expectRejected(JSON.stringify({ ...base, spdxVersion: 'SPDX-2.1' }), 'unsupported_version');
    expectRejected(JSON.stringify({ ...base, spdxVersion: 2.3 }), 'unsupported_version');
    expectRejected(JSON.stringify(base), 'format_mismatch', { format: 'cyclonedx' });
    expectParsed(JSON.stringify(base), { format: 'spdx' });
    const late = reordered({ ...base, spdxVersion: 'SPDX-3.0' }, ['packages', 'relationships']);
    expectRejected(JSON.stringify(late), 'unsupported_version');
    const text = JSON.stringify(late);
    expectRejected(text.replace('"SPDXRef-lib"', '"SPDXRef-lib" x'), 'invalid_json');
  });

  it('reads deeply nested members and items as parseSbom does', () => {
    const depth = 20_000;
    const nested = `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
    const text = JSON.stringify(base)
      .replace('"creationInfo":', `"deep":${nested},"creationInfo":`)
      .replace('"name":"lib"', `"name":"lib","deep":${nested}`);
    expectSameAsWhole(text, undefined, [64 * 1024]);
  });

  it('keeps a "__proto__" member an own member, as JSON.parse does', () => {
    expectParsed(JSON.stringify(base).replace('{', '{"__proto__":{"x":1},'));
  });
});

describe('parseSpdxStream: refusals and fallbacks', () => {
  it.each([
    ['an array root', '[{"spdxVersion":"SPDX-2.3"}]'],
    ['a string root', '"x"'],
    ['an empty body', ''],
    ['CycloneDX', JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5' })],
    ['SPDX with a bomFormat', JSON.stringify(doc({ bomFormat: 'CycloneDX', specVersion: '1.5' }))],
    ['another JSON object', JSON.stringify({ Results: [], SchemaVersion: 2 })],
    ['SPDX 3', JSON.stringify({ '@context': 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld' })],
    ['a repeated member', '{"spdxVersion":"SPDX-2.3","spdxVersion":"SPDX-2.2"}'],
    ['a repeated array', '{"spdxVersion":"SPDX-2.3","packages":[],"packages":[]}'],
    [
      'a DSSE envelope',
      JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: 'e30=' }),
    ],
    [
      'an in-toto statement',
      JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', predicate: doc() }),
    ],
  ])('leaves %s to parseSbom', (_, document) => {
    expect(expectSameAsWhole(document)).toBe('fallback');
  });

  it('leaves a document without spdxVersion to parseSbom even with format=spdx', () => {
    expect(expectSameAsWhole('{"SPDXID":"SPDXRef-DOCUMENT"}', { format: 'spdx' })).toBe('fallback');
  });

  it.each([
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])],
    ['XML', '<?xml version="1.0"?><rdf:RDF/>'],
    ['tag-value', 'SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n'],
  ])('refuses %s as parseSbom does', (_, document) => {
    expectRejected(document, 'unsupported_format');
    expect(outcomeOf(() => parseSbomStream(chunked(Buffer.from(document), 3)))).toEqual(
      outcomeOf(() => parseSbom(Buffer.from(document))),
    );
  });
});

describe('parseSpdxStream: syntax errors', () => {
  const text = JSON.stringify(generated(30, 13), null, 1);

  it('counts lines and columns after a BOM as parseSbom does', () => {
    expectRejected(`\uFEFF${text.replace('"LIBRARY"', '"LIBRARY" x')}`, 'invalid_json');
  });

  it('rejects truncated documents naming the line, wherever the cut is', () => {
    for (const fraction of [0.001, 0.1, 0.5, 0.9, 0.999]) {
      const cut = Buffer.from(text).subarray(0, Math.floor(text.length * fraction));
      expectRejected(cut, 'invalid_json');
    }
  });

  it.each([
    ['inside a package', (t: string) => t.replace('"LIBRARY"', '"LIBRARY" "x"')],
    ['between packages', (t: string) => t.replace('},\n  {', '}\n  {')],
    ['in a member', (t: string) => t.replace('"created"', '"created" 1')],
    ['in a relationship', (t: string) => t.replace('"DEPENDS_ON"', '"DEPENDS_ON",')],
    ['in an annotation', (t: string) => t.replace('"OTHER"', 'OTHER')],
    ['after the root', (t: string) => `${t} {}`],
  ])('rejects invalid JSON %s at the line parseSbom names', (_, edit) => {
    expectRejected(edit(text), 'invalid_json');
  });
});

describe('parseSpdxStream: properties', () => {
  const keys = [
    'spdxVersion',
    'dataLicense',
    'SPDXID',
    'name',
    'documentNamespace',
    'documentDescribes',
    'packages',
    'files',
    'snippets',
    'relationships',
    'annotations',
  ];
  const types = ['DESCRIBES', 'DESCRIBED_BY', 'DEPENDS_ON', 'DEPENDENCY_OF', 'CONTAINS', 'X_OF'];
  const idPool = ['a', 'b', 'c', 'd_1', 'e', 'f', 'g', 'DOCUMENT'];

  it('answers as parseSbom on random documents, member orders and chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...idPool.slice(0, 5)), { maxLength: 5 }),
        fc.array(fc.constantFrom(...idPool), { maxLength: 3 }),
        fc.array(
          fc.tuple(
            fc.constantFrom(...idPool),
            fc.constantFrom(...types),
            fc.constantFrom(...idPool),
          ),
          { maxLength: 8 },
        ),
        fc.array(fc.constantFrom('MIT', 'MIT OR X-(', 'NOASSERTION', 'pkg:npm/a@1', 'bad purl')),
        fc.option(fc.constantFrom(...idPool), { nil: undefined }),
        fc.shuffledSubarray(keys, { minLength: keys.length }),
        fc.integer({ min: 1, max: 200 }),
        fc.nat(20),
        (packageIds, described, relationships, values, fileId, order, size, breakAt) => {
          const packages = packageIds.map((id, index) => {
            const value = values[index % Math.max(values.length, 1)] ?? 'MIT';
            return pkg(id, { licenseDeclared: value, ...purl(value) });
          });
          const members = doc({
            documentDescribes: described.map((id) => `SPDXRef-${id}`),
            packages,
            files: fileId === undefined ? [] : [{ SPDXID: `SPDXRef-${fileId}` }],
            snippets: [],
            relationships: relationships.map(([from, type, to]) => rel(from, type, to)),
            annotations: [{ comment: 'x' }],
          });
          // Now and then an invalid item or member.
          if (breakAt === 1 && packages.length > 0) delete packages[packages.length - 1]?.name;
          if (breakAt === 2) (members.relationships as Json[]).push({});
          if (breakAt === 3) delete members.name;
          const bytes = Buffer.from(JSON.stringify(reordered(members, order)));
          expect(expectSameAsWhole(bytes, undefined, [size])).not.toBe('fallback');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ran every comparison it counted', () => {
    // Documents × chunk sizes compared by the tests above (this file's total).
    expect(comparisons()).toBeGreaterThan(600);
  });
});
