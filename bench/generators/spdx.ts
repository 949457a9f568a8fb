/**
 * Synthetic SPDX 2.3 JSON SBOMs for benchmarks, shaped like the corpus (Trivy, npm sbom):
 * packages with checksums, a purl external reference, licenseConcluded / licenseDeclared
 * ids and expressions, Trivy-style annotations; a root package the document DESCRIBES and
 * that DEPENDS_ON ~10% of the packages, DEPENDS_ON edges between the others, and a file
 * CONTAINED by every FILE_PERIOD-th package. Deterministic for a given seed.
 */

import { randomHex, seededRandom } from './seeded-random.js';

const ECOSYSTEMS = ['npm', 'maven', 'pypi', 'golang', 'gem', 'deb'] as const;
type Ecosystem = (typeof ECOSYSTEMS)[number];

const LICENCES = [
  'MIT',
  'Apache-2.0',
  'BSD-3-Clause',
  'ISC',
  'MPL-2.0',
  'GPL-2.0-only',
  'MIT OR Apache-2.0',
  '(BSD-3-Clause AND MIT)',
  'NOASSERTION',
];
const WORDS = ['core', 'util', 'http', 'json', 'parser', 'client', 'log', 'crypto', 'async', 'io'];
/** The root depends on every DIRECT_PERIOD-th package. */
const DIRECT_PERIOD = 10;
/** Every FILE_PERIOD-th package contains a file. */
const FILE_PERIOD = 20;

export function generateSpdx(packageCount: number, seed = 1): string {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (length: number) => randomHex(random, length);

  const rootId = 'SPDXRef-Package-bench-application';
  const packages: object[] = [
    {
      name: 'bench-application',
      SPDXID: rootId,
      versionInfo: `${packageCount}.0.0`,
      downloadLocation: 'NONE',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      externalRefs: [purlRef(`pkg:generic/bench-application@${packageCount}.0.0`)],
      primaryPackagePurpose: 'APPLICATION',
    },
  ];
  const files: object[] = [];
  const relationships: object[] = [
    {
      spdxElementId: 'SPDXRef-DOCUMENT',
      relatedSpdxElement: rootId,
      relationshipType: 'DESCRIBES',
    },
  ];
  const ids: string[] = [];
  for (let index = 0; index < packageCount; index += 1) ids.push(`SPDXRef-Package-${hex(16)}`);
  ids.forEach((id, index) => {
    const ecosystem = pick(ECOSYSTEMS);
    const name = `${pick(WORDS)}-${pick(WORDS)}-${index}`;
    const version = `${Math.floor(random() * 10)}.${Math.floor(random() * 30)}.${Math.floor(random() * 100)}`;
    packages.push({
      name,
      SPDXID: id,
      versionInfo: version,
      supplier: 'NOASSERTION',
      downloadLocation: 'NONE',
      filesAnalyzed: false,
      checksums: [{ algorithm: 'SHA256', checksumValue: hex(64) }],
      sourceInfo: `package found in: ${ecosystem} lock file`,
      licenseConcluded: pick(LICENCES),
      licenseDeclared: pick(LICENCES),
      externalRefs: [purlRef(purlFor(ecosystem, name, version))],
      primaryPackagePurpose: 'LIBRARY',
      annotations: [
        {
          annotator: 'Tool: bench-generator',
          annotationDate: '2024-05-01T12:00:00Z',
          annotationType: 'OTHER',
          comment: `PkgType: ${ecosystem}`,
        },
      ],
    });
    if (index % DIRECT_PERIOD === 0) relationships.push(dependsOn(rootId, id));
    const fanOut = Math.floor(random() * 3);
    for (let n = 0; n < fanOut && index + 1 < packageCount; n += 1) {
      const target = index + 1 + Math.floor(random() * Math.min(200, packageCount - index - 1));
      relationships.push(dependsOn(id, ids[target] as string));
    }
    if (index % FILE_PERIOD === 0) {
      const fileId = `SPDXRef-File-${hex(16)}`;
      files.push({
        fileName: `/usr/lib/${name}/${name}.so`,
        SPDXID: fileId,
        checksums: [{ algorithm: 'SHA1', checksumValue: hex(40) }],
        licenseConcluded: 'NOASSERTION',
        copyrightText: '',
      });
      relationships.push({
        spdxElementId: id,
        relatedSpdxElement: fileId,
        relationshipType: 'CONTAINS',
      });
    }
  });

  return JSON.stringify({
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: 'bench-application',
    documentNamespace: `http://cabinet.example/spdx/bench-${packageCount}-${seed}`,
    creationInfo: { creators: ['Tool: bench-generator'], created: '2024-05-01T12:00:00Z' },
    packages,
    files,
    relationships,
  });
}

function purlRef(locator: string) {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: locator };
}

function dependsOn(from: string, to: string) {
  return { spdxElementId: from, relatedSpdxElement: to, relationshipType: 'DEPENDS_ON' };
}

function purlFor(ecosystem: Ecosystem, name: string, version: string): string {
  switch (ecosystem) {
    case 'maven':
      return `pkg:maven/org.example/${name}@${version}?type=jar`;
    case 'golang':
      return `pkg:golang/github.com/example/${name}@v${version}`;
    case 'deb':
      return `pkg:deb/debian/${name}@${version}-1?arch=amd64&distro=debian-12`;
    default:
      return `pkg:${ecosystem}/${name}@${version}`;
  }
}
