/**
 * Synthetic CycloneDX 1.5 SBOMs for benchmarks: the corpus tops out at 840 components,
 * intake must be measured at 10k–50k. Shapes follow the corpus (Trivy, cyclonedx-maven,
 * npm sbom): purl bom-refs, hashes, SPDX ids / expressions / named licences, Trivy-style
 * properties, a few nested components, and a dependency graph whose root depends directly
 * on ~10% of the components. Deterministic for a given seed.
 */

import { randomHex, seededRandom } from './seeded-random.js';

const ECOSYSTEMS = ['npm', 'maven', 'pypi', 'golang', 'gem', 'deb'] as const;
type Ecosystem = (typeof ECOSYSTEMS)[number];

const LICENCE_IDS = [
  'MIT',
  'Apache-2.0',
  'BSD-3-Clause',
  'ISC',
  'BSD-2-Clause',
  'MPL-2.0',
  'GPL-2.0-only',
  'LGPL-2.1-or-later',
];
const EXPRESSIONS = [
  'MIT OR Apache-2.0',
  '(BSD-3-Clause AND MIT)',
  'GPL-2.0-or-later WITH Classpath-exception-2.0',
];
const WORDS = [
  'core',
  'util',
  'http',
  'json',
  'parser',
  'client',
  'log',
  'crypto',
  'async',
  'stream',
  'config',
  'test',
  'cache',
  'auth',
  'xml',
  'yaml',
  'cli',
  'io',
  'net',
  'time',
];
/** Every NESTING_PERIOD-th component is nested inside the one before it. */
const NESTING_PERIOD = 50;
/** The root depends on every DIRECT_PERIOD-th component. */
const DIRECT_PERIOD = 10;

interface Component {
  'bom-ref': string;
  type: string;
  group?: string;
  name: string;
  version: string;
  description: string;
  hashes: { alg: string; content: string }[];
  licenses: ({ license: { id: string } | { name: string } } | { expression: string })[];
  purl: string;
  externalReferences: { type: string; url: string }[];
  properties: { name: string; value: string }[];
  components?: Component[];
}

export function generateCycloneDx(componentCount: number, seed = 1): string {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (length: number) => randomHex(random, length);
  const uuid = () => {
    const h = hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  };

  const flat: Component[] = [];
  for (let index = 0; index < componentCount; index += 1) {
    flat.push(makeComponent(index, pick(ECOSYSTEMS), random, pick, hex));
  }
  const top: Component[] = [];
  flat.forEach((component, index) => {
    const parent = top[top.length - 1];
    if (index % NESTING_PERIOD === NESTING_PERIOD - 1 && parent !== undefined) {
      parent.components = [...(parent.components ?? []), component];
    } else {
      top.push(component);
    }
  });

  const rootRef = `pkg:generic/bench-application@${componentCount}.0.0`;
  const dependencies = [
    {
      ref: rootRef,
      dependsOn: flat.filter((_, index) => index % DIRECT_PERIOD === 0).map((c) => c['bom-ref']),
    },
    ...flat.map((component, index) => {
      const dependsOn = new Set<string>();
      const fanOut = Math.floor(random() * 4);
      for (let n = 0; n < fanOut && index + 1 < componentCount; n += 1) {
        const target = index + 1 + Math.floor(random() * Math.min(200, componentCount - index - 1));
        dependsOn.add((flat[target] as Component)['bom-ref']);
      }
      return { ref: component['bom-ref'], dependsOn: [...dependsOn] };
    }),
  ];

  const bom = {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${uuid()}`,
    version: 1,
    metadata: {
      timestamp: '2024-05-01T12:00:00Z',
      tools: {
        components: [
          { type: 'application', group: 'cabinet', name: 'bench-generator', version: '1.0.0' },
        ],
      },
      component: {
        'bom-ref': rootRef,
        type: 'application',
        name: 'bench-application',
        version: `${componentCount}.0.0`,
        purl: rootRef,
      },
    },
    components: top,
    dependencies,
  };
  return JSON.stringify(bom);
}

function makeComponent(
  index: number,
  ecosystem: Ecosystem,
  random: () => number,
  pick: <T>(items: readonly T[]) => T,
  hex: (length: number) => string,
): Component {
  const base = `${pick(WORDS)}-${pick(WORDS)}-${index}`;
  const version = `${Math.floor(random() * 10)}.${Math.floor(random() * 30)}.${Math.floor(random() * 100)}`;
  const group = ecosystem === 'maven' ? `org.${pick(WORDS)}` : undefined;
  const purl = purlFor(ecosystem, group, base, version);
  const roll = random();
  const licence =
    roll < 0.75
      ? { license: { id: pick(LICENCE_IDS) } }
      : roll < 0.9
        ? { expression: pick(EXPRESSIONS) }
        : { license: { name: 'Proprietary EULA' } };
  return {
    'bom-ref': purl,
    type: 'library',
    ...(group === undefined ? {} : { group }),
    name: base,
    version,
    description: `The ${base} ${ecosystem} package`,
    hashes: [{ alg: 'SHA-256', content: hex(64) }],
    licenses: [licence],
    purl,
    externalReferences: [{ type: 'website', url: `https://example.org/${ecosystem}/${base}` }],
    properties: [{ name: 'aquasecurity:trivy:PkgType', value: ecosystem }],
  };
}

function purlFor(
  ecosystem: Ecosystem,
  group: string | undefined,
  name: string,
  version: string,
): string {
  switch (ecosystem) {
    case 'maven':
      return `pkg:maven/${group}/${name}@${version}?type=jar`;
    case 'golang':
      return `pkg:golang/github.com/example/${name}@v${version}`;
    case 'deb':
      return `pkg:deb/debian/${name}@${version}-1?arch=amd64&distro=debian-12`;
    default:
      return `pkg:${ecosystem}/${name}@${version}`;
  }
}
