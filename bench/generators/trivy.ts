/**
 * Synthetic Trivy JSON reports (SchemaVersion 2) for benchmarks, shaped like the Trivy goldens
 * in ../shared/corpus/scans/trivy: an OS-package target plus language targets, full
 * vulnerability records (description, references, CVSS, vendor severities), some CVEs shared by
 * several packages, and some findings repeated across two lockfile targets, as Trivy reports a
 * package once per lockfile it appears in. Deterministic for a given seed.
 *
 * `findingCount` is the number of DISTINCT (vulnerability, package, installed version) findings,
 * i.e. what parseScan reports as `finding_count`; the duplicates come on top.
 */

interface Ecosystem {
  target: string;
  /** A second lockfile that repeats some of this target's findings. */
  sibling: string | null;
  klass: 'os-pkgs' | 'lang-pkgs';
  type: string;
  purl: (name: string, version: string) => string;
  source: { ID: string; Name: string; URL: string };
}

import { randomHex, seededRandom } from './seeded-random.js';

const ECOSYSTEMS: Ecosystem[] = [
  {
    target: 'registry.example.com/cabinet/agent:4.2.0 (debian 12.5)',
    sibling: null,
    klass: 'os-pkgs',
    type: 'debian',
    purl: (n, v) => `pkg:deb/debian/${n}@${v}?arch=amd64&distro=debian-12.5`,
    source: {
      ID: 'debian',
      Name: 'Debian Security Tracker',
      URL: 'https://salsa.debian.org/security-tracker-team/security-tracker',
    },
  },
  {
    target: 'app/package-lock.json',
    sibling: 'tools/package-lock.json',
    klass: 'lang-pkgs',
    type: 'npm',
    purl: (n, v) => `pkg:npm/${n}@${v}`,
    source: {
      ID: 'ghsa',
      Name: 'GitHub Security Advisory npm',
      URL: 'https://github.com/advisories?query=type%3Areviewed+ecosystem%3Anpm',
    },
  },
  {
    target: 'app/Gemfile.lock',
    sibling: 'vendor/Gemfile.lock',
    klass: 'lang-pkgs',
    type: 'bundler',
    purl: (n, v) => `pkg:gem/${n}@${v}`,
    source: {
      ID: 'ruby-advisory-db',
      Name: 'Ruby Advisory Database',
      URL: 'https://github.com/rubysec/ruby-advisory-db',
    },
  },
  {
    target: 'Java',
    sibling: null,
    klass: 'lang-pkgs',
    type: 'jar',
    purl: (n, v) => `pkg:maven/org.example/${n}@${v}`,
    source: {
      ID: 'glad',
      Name: 'GitLab Advisory Database Community',
      URL: 'https://gitlab.com/gitlab-org/advisories-community',
    },
  },
];

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
/** Cumulative thresholds: 5% critical, 20% high, 45% medium, 25% low, 5% unknown. */
const SEVERITY_CUTS = [0.05, 0.25, 0.7, 0.95, 1];
const VENDOR_SCORE: Record<(typeof SEVERITIES)[number], number> = {
  CRITICAL: 4,
  HIGH: 3,
  MEDIUM: 2,
  LOW: 1,
  UNKNOWN: 0,
};

const WORDS = [
  'lib',
  'core',
  'http',
  'crypto',
  'xml',
  'json',
  'parse',
  'net',
  'ssl',
  'zlib',
  'image',
  'auth',
  'yaml',
  'regex',
  'log',
  'cache',
  'proxy',
  'util',
  'stream',
  'archive',
  'socket',
  'codec',
  'db',
];
const LOREM =
  'A flaw was found in the way the affected component processes crafted input. A remote attacker could send a specially crafted request that triggers an out-of-bounds read, leading to a denial of service or, in some configurations, disclosure of memory contents. ';

export function generateTrivyReport(findingCount: number, seed = 1): string {
  if (!Number.isSafeInteger(findingCount) || findingCount < 0) {
    throw new RangeError('findingCount must be a non-negative integer');
  }
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // Packages are indexed so finding i and i+1 (which may share a CVE) never share a package.
  const poolSize = Math.max(8, Math.ceil(findingCount / 3));
  const pool = Array.from({ length: poolSize }, (_, p) => ({
    name: `${WORDS[p % WORDS.length]}${WORDS[Math.floor(p / WORDS.length) % WORDS.length]}-${p}`,
    version: `${1 + (p % 5)}.${p % 13}.${p % 7}`,
    ecosystem: ECOSYSTEMS[p % ECOSYSTEMS.length]!,
    uid: randomHex(random, 16),
  }));
  const layer = {
    Digest: `sha256:${randomHex(random, 64)}`,
    DiffID: `sha256:${randomHex(random, 64)}`,
  };
  const byTarget = new Map<string, unknown[]>();
  for (const eco of ECOSYSTEMS) {
    byTarget.set(eco.target, []);
    if (eco.sibling !== null) byTarget.set(eco.sibling, []);
  }

  for (let i = 0; i < findingCount; i += 1) {
    const pkg = pool[(i * 7) % poolSize]!;
    // Every fifth finding reuses the previous CVE on another package (one CVE, several binaries).
    const cveIndex = i % 5 === 4 ? i - 1 : i;
    const year = 2016 + (cveIndex % 9);
    const id = `CVE-${year}-${String(10000 + cveIndex).padStart(5, '0')}`;
    const roll = random();
    const severity = SEVERITIES[SEVERITY_CUTS.findIndex((cut) => roll < cut)]!;
    const fixed =
      random() < 0.8
        ? `${pkg.version.split('.')[0]}.${Number(pkg.version.split('.')[1]) + 1}.0`
        : '';
    const eco = pkg.ecosystem;
    const score =
      Math.round(
        (severity === 'CRITICAL'
          ? 9.1
          : severity === 'HIGH'
            ? 7.5
            : severity === 'MEDIUM'
              ? 5.3
              : 3.1) * 10,
      ) / 10;
    const vuln: Record<string, unknown> = {
      VulnerabilityID: id,
      PkgID: `${pkg.name}@${pkg.version}`,
      PkgName: pkg.name,
      PkgIdentifier: { PURL: eco.purl(pkg.name, pkg.version), UID: pkg.uid },
      InstalledVersion: pkg.version,
      ...(fixed === '' ? {} : { FixedVersion: fixed }),
      Status: fixed === '' ? pick(['affected', 'will_not_fix', 'fix_deferred']) : 'fixed',
      ...(eco.klass === 'os-pkgs' ? { Layer: layer } : {}),
      SeveritySource: eco.source.ID,
      PrimaryURL: `https://avd.aquasec.com/nvd/${id.toLowerCase()}`,
      DataSource: eco.source,
      Fingerprint: `sha256:${randomHex(random, 64)}`,
      Title: `${pkg.name}: ${pick(['heap overflow', 'path traversal', 'denial of service', 'prototype pollution', 'improper certificate validation'])} in ${pick(WORDS)} handling`,
      Description: LOREM.repeat(1 + Math.floor(random() * 3)).trim(),
      Severity: severity,
      CweIDs: [`CWE-${pick([20, 22, 79, 125, 190, 400, 787, 1321])}`],
      VendorSeverity: { [eco.source.ID]: VENDOR_SCORE[severity], nvd: VENDOR_SCORE[severity] },
      CVSS: {
        nvd: {
          V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
          V3Score: score,
        },
      },
      References: Array.from(
        { length: 5 + Math.floor(random() * 10) },
        (_, r) => `https://security.example.org/advisories/${id}/${r}`,
      ),
      PublishedDate: `${year}-0${1 + (i % 9)}-1${i % 10}T12:00:00Z`,
      LastModifiedDate: '2024-06-01T08:15:00Z',
    };
    byTarget.get(eco.target)!.push(vuln);
    // ~15% of lockfile findings are repeated in the sibling lockfile.
    if (eco.sibling !== null && random() < 0.15) byTarget.get(eco.sibling)!.push(vuln);
  }

  const results = [...byTarget.entries()].map(([target, vulnerabilities]) => {
    const eco = ECOSYSTEMS.find((e) => e.target === target || e.sibling === target)!;
    return {
      Target: target,
      Class: eco.klass,
      Type: eco.type,
      ...(vulnerabilities.length > 0 ? { Vulnerabilities: vulnerabilities } : {}),
    };
  });
  const report = {
    SchemaVersion: 2,
    Trivy: { Version: '0.50.1' },
    ReportID: `${randomHex(random, 8)}-${randomHex(random, 4)}-7000-80ea-${randomHex(random, 12)}`,
    CreatedAt: '2024-06-01T08:15:00.000000005Z',
    ArtifactName: 'registry.example.com/cabinet/agent:4.2.0',
    ArtifactType: 'container_image',
    Metadata: {
      OS: { Family: 'debian', Name: '12.5' },
      ImageID: `sha256:${randomHex(random, 64)}`,
      DiffIDs: [layer.DiffID],
      RepoTags: ['registry.example.com/cabinet/agent:4.2.0'],
      ImageConfig: {
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.DiffID] },
      },
    },
    Results: results,
  };
  return JSON.stringify(report, null, 2);
}
