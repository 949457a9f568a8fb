import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseSbom } from './index.js';
import { describesApp, doc, pkg, rel } from './spdx-test-documents.js';

const fixtures = path.resolve(process.cwd(), 'src/evidence/parsers/sbom/fixtures');

function parse(document: unknown) {
  return parseSbom(Buffer.from(JSON.stringify(document)));
}

function rejected(document: unknown): InvalidDocumentError {
  try {
    parse(document);
  } catch (error) {
    if (error instanceof InvalidDocumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidDocumentError, but the document was accepted');
}

describe('parseSbom: SPDX structure', () => {
  it.each(['documentNamespace', 'dataLicense', 'SPDXID', 'name'])(
    'rejects a document without %s',
    (field) => {
      const document = doc();
      delete document[field];
      const error = rejected(document);
      expect(error.reason).toBe('invalid_structure');
      expect(error.errors[0]).toEqual({
        path: `/${field}`,
        message: 'required property is missing',
      });
      expect(error.message).toBe(
        `The SPDX-2.3 document is invalid at /${field}: required property is missing`,
      );
    },
  );

  it('rejects SPDX versions other than 2.2 and 2.3', () => {
    const error = rejected(doc({ spdxVersion: 'SPDX-2.1' }));
    expect(error.reason).toBe('unsupported_version');
    expect(error.errors[0]?.path).toBe('/spdxVersion');
    expect(error.message).toContain('SPDX-2.2, SPDX-2.3');
  });

  it('locates structural errors in packages and relationships', () => {
    expect(rejected(doc({ packages: [pkg('a'), { SPDXID: 'SPDXRef-b' }] })).errors[0]?.path).toBe(
      '/packages/1/name',
    );
    expect(rejected(doc({ packages: [pkg('a', { versionInfo: 3 })] })).errors[0]).toEqual({
      path: '/packages/0/versionInfo',
      message: 'must be string (got 3)',
    });
    expect(rejected(doc({ packages: [{ SPDXID: 'a', name: 'a' }] })).errors[0]?.path).toBe(
      '/packages/0/SPDXID',
    );
    expect(
      rejected(
        doc({
          relationships: [{ spdxElementId: 'SPDXRef-DOCUMENT', relatedSpdxElement: 'SPDXRef-a' }],
        }),
      ).errors[0]?.path,
    ).toBe('/relationships/0/relationshipType');
  });

  it('rejects an SPDXID used twice', () => {
    const packages = rejected(doc({ packages: [pkg('a'), pkg('a')] }));
    expect(packages.reason).toBe('invalid_structure');
    expect(packages.errors[0]).toEqual({
      path: '/packages/1/SPDXID',
      message: 'SPDXID "SPDXRef-a" is already used by /packages/0',
    });
    const file = rejected(
      doc({ packages: [pkg('a')], files: [{ SPDXID: 'SPDXRef-a', fileName: './a' }] }),
    );
    expect(file.errors[0]?.path).toBe('/files/0/SPDXID');
    const document = rejected(doc({ packages: [pkg('DOCUMENT')] }));
    expect(document.errors[0]?.message).toContain('already used by the document');
  });
});

describe('parseSbom: SPDX counting', () => {
  it('excludes described packages and counts DEPENDS_ON and *_DEPENDENCY_OF edges of the root', () => {
    const parsed = parse(
      doc({
        packages: [
          pkg('app', {
            versionInfo: '1.0',
            externalRefs: [
              {
                referenceCategory: 'PACKAGE-MANAGER',
                referenceType: 'purl',
                referenceLocator: 'pkg:npm/app@1.0',
              },
            ],
          }),
          pkg('a'),
          pkg('b'),
          pkg('c'),
          pkg('d'),
          pkg('e'),
        ],
        files: [{ SPDXID: 'SPDXRef-f', fileName: './f' }],
        relationships: [
          describesApp,
          rel('app', 'DEPENDS_ON', 'a'),
          rel('b', 'DEV_DEPENDENCY_OF', 'app'),
          rel('c', 'DEPENDENCY_OF', 'a'),
          rel('app', 'CONTAINS', 'd'),
          rel('app', 'DEPENDS_ON', 'f'),
          rel('app', 'DEPENDS_ON', 'a'),
        ],
      }),
    );
    expect(parsed).toMatchObject({ format: 'spdx', spec_version: '2.3' });
    expect(parsed.summary).toMatchObject({
      component_count: 5,
      direct_dependency_count: 2,
      transitive_dependency_count: 3,
      has_dependency_graph: true,
      root: { name: 'app', version: '1.0', purl: 'pkg:npm/app@1.0' },
    });
    expect(parsed.summary.components.map((c) => c.ref)).toEqual([
      'SPDXRef-a',
      'SPDXRef-b',
      'SPDXRef-c',
      'SPDXRef-d',
      'SPDXRef-e',
    ]);
    expect(parsed.warnings).toEqual([]);
  });

  it('finds the root through documentDescribes and DESCRIBED_BY too', () => {
    const viaField = parse(
      doc({ documentDescribes: ['SPDXRef-app'], packages: [pkg('app'), pkg('a')] }),
    );
    expect(viaField.summary.root?.name).toBe('app');
    const viaInverse = parse(
      doc({
        packages: [pkg('app'), pkg('a')],
        relationships: [rel('app', 'DESCRIBED_BY', 'SPDXRef-DOCUMENT')],
      }),
    );
    expect(viaInverse.summary.component_count).toBe(1);
    expect(viaInverse.summary.has_dependency_graph).toBe(false);
  });

  it('counts every package when nothing is described', () => {
    const parsed = parse(
      doc({ packages: [pkg('a'), pkg('b')], relationships: [rel('a', 'DEPENDS_ON', 'b')] }),
    );
    expect(parsed.summary).toMatchObject({
      component_count: 2,
      direct_dependency_count: 0,
      root: null,
      has_dependency_graph: true,
    });
    expect(parsed.warnings).toEqual([expect.stringMatching(/describes no package/)]);
  });

  it('accepts a document without packages', () => {
    const parsed = parse(doc({ files: [{ SPDXID: 'SPDXRef-f', fileName: './f' }] }));
    expect(parsed.summary).toMatchObject({ component_count: 0, root: null, licenses: [] });
  });

  it('leaves the licences of the described package out of the licence set', () => {
    const parsed = parse(
      doc({
        documentDescribes: ['SPDXRef-app'],
        packages: [
          pkg('app', { licenseDeclared: 'LicenseRef-Proprietary' }),
          pkg('a', { licenseDeclared: 'MIT' }),
        ],
      }),
    );
    expect(parsed.summary.licenses).toEqual(['MIT']);
  });

  it('reports the first of several described packages as the root', () => {
    const parsed = parse(
      doc({
        documentDescribes: ['SPDXRef-app', 'SPDXRef-tool', 'SPDXRef-README'],
        packages: [pkg('tool'), pkg('app'), pkg('a')],
        files: [{ SPDXID: 'SPDXRef-README', fileName: './README' }],
        relationships: [rel('tool', 'DEPENDS_ON', 'a')],
      }),
    );
    expect(parsed.summary).toMatchObject({
      component_count: 1,
      direct_dependency_count: 1,
      root: { name: 'app' },
    });
    expect(parsed.warnings).toEqual([expect.stringMatching(/describes 2 packages.*SPDXRef-app/)]);
  });

  it('warns about references it cannot resolve and relationship types it does not know', () => {
    const parsed = parse(
      doc({
        documentDescribes: ['SPDXRef-app', 'SPDXRef-ghost'],
        packages: [pkg('app'), pkg('a')],
        relationships: [
          rel('app', 'DEPENDS_ON', 'missing'),
          rel('app', 'DEPENDS_ON', 'NOASSERTION'),
          rel('app', 'DEPENDS_ON', 'NONE'),
          rel('app', 'DEPENDS_ON', 'DocumentRef-other:SPDXRef-x'),
          rel('app', 'IS_FRIENDS_WITH', 'a'),
        ],
      }),
    );
    expect(parsed.summary.direct_dependency_count).toBe(0);
    expect(parsed.warnings).toEqual([
      'Described elements that are not in the document: 1 ("SPDXRef-ghost")',
      'Relationship ends that name no element of this document: 1 ("SPDXRef-missing")',
      'Relationships of a type SPDX 2.3 does not define, ignored: 1 ("IS_FRIENDS_WITH")',
    ]);
  });
});

describe('parseSbom: SPDX packages', () => {
  it('reads licences, purls, checksums and purpose', () => {
    const parsed = parse(
      doc({
        spdxVersion: 'SPDX-2.2',
        packages: [
          pkg('a', {
            versionInfo: '1.2.3',
            licenseConcluded: 'MIT',
            licenseDeclared: 'MIT',
            primaryPackagePurpose: 'OPERATING-SYSTEM',
            checksums: [
              { algorithm: 'SHA256', checksumValue: 'AB'.repeat(32) },
              { algorithm: 'SHA3-256', checksumValue: 'cd'.repeat(32) },
              { algorithm: 'MD5', checksumValue: 'ef'.repeat(16) },
            ],
            externalRefs: [
              {
                referenceCategory: 'SECURITY',
                referenceType: 'cpe23Type',
                referenceLocator: 'cpe:2.3:a:x:a:1.2.3:*:*:*:*:*:*:*',
              },
              {
                referenceCategory: 'PACKAGE-MANAGER',
                referenceType: 'purl',
                referenceLocator: 'pkg:deb/debian/a@1.2.3',
              },
            ],
          }),
          pkg('b', {
            licenseConcluded: 'NOASSERTION',
            licenseDeclared: '(GPL-2.0-only OR LicenseRef-Custom)',
          }),
          pkg('c', {
            licenseConcluded: 'NONE',
            licenseDeclared: 'GPLv2+',
            externalRefs: [
              {
                referenceCategory: 'PACKAGE_MANAGER',
                referenceType: 'purl',
                referenceLocator: 'not-a-purl',
              },
            ],
          }),
        ],
      }),
    );
    expect(parsed.spec_version).toBe('2.2');
    const [a, b, c] = parsed.summary.components;
    expect(a).toEqual({
      ref: 'SPDXRef-a',
      name: 'a',
      version: '1.2.3',
      purl: 'pkg:deb/debian/a@1.2.3',
      licenses: ['MIT'],
      hashes: [
        { alg: 'SHA-256', content: 'ab'.repeat(32) },
        { alg: 'SHA3-256', content: 'cd'.repeat(32) },
        { alg: 'MD5', content: 'ef'.repeat(16) },
      ],
      type: 'operating-system',
    });
    expect(b).toMatchObject({
      version: null,
      purl: null,
      licenses: ['(GPL-2.0-only OR LicenseRef-Custom)'],
      hashes: [],
      type: null,
    });
    expect(c).toMatchObject({ purl: null, licenses: ['GPLv2+'] });
    expect(parsed.summary.licenses).toEqual([
      '(GPL-2.0-only OR LicenseRef-Custom)',
      'GPLv2+',
      'MIT',
    ]);
    expect(parsed.warnings).toEqual([
      'The document describes no package, so it has no root: every package is a component and none counts as direct.',
      'purls that packageurl-js cannot parse, dropped (set to null): 1 ("not-a-purl")',
      'Licence expressions that are not valid SPDX expressions, kept as written: 1 ("GPLv2+")',
    ]);
  });

  it('accepts meaning-preserving deviations with one warning each', () => {
    const parsed = parse(
      doc({
        SPDXID: 'SPDXRef-DOC',
        dataLicense: 'CC-BY-4.0',
        documentDescribes: ['SPDXRef-my_app'],
        packages: [
          { SPDXID: 'SPDXRef-my_app', name: 'app' },
          { SPDXID: 'SPDXRef-@scope/a_b', name: '@scope/a_b' },
          { SPDXID: 'SPDXRef-c_d', name: 'c_d' },
          pkg('e'),
        ],
      }),
    );
    expect(parsed.summary.component_count).toBe(3);
    expect(parsed.warnings).toEqual([
      'The document\'s SPDXID is "SPDXRef-DOC", not "SPDXRef-DOCUMENT".',
      'dataLicense is "CC-BY-4.0"; SPDX requires "CC0-1.0".',
      'SPDX ids with characters other than letters, digits, "." and "-" after "SPDXRef-" (npm sbom emits "_"), accepted as written: 3 ("SPDXRef-my_app", "SPDXRef-@scope/a_b", "SPDXRef-c_d")',
      'Packages without the downloadLocation SPDX requires: 3 ("SPDXRef-my_app", "SPDXRef-@scope/a_b", "SPDXRef-c_d")',
    ]);
  });

  it('reads npm sbom output with its underscore ids, with a single warning', () => {
    const parsed = parseSbom(readFileSync(path.join(fixtures, 'npm-sbom.spdx.json')));
    expect(parsed.warnings).toHaveLength(1);
    expect(parsed.warnings[0]).toMatch(
      /npm sbom emits "_".*: 1 \("SPDXRef-Package-acme.util_lib-1.0.0-rc.1"\)/,
    );
    expect(parsed.summary).toMatchObject({
      component_count: 5,
      direct_dependency_count: 3,
      root: { name: 'demo-app' },
    });
  });
});
