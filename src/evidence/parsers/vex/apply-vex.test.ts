import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScan } from '../scan/parse-scan.js';
import type { Finding } from '../scan/types.js';
import { applyVex, parseVex, type VexStatement } from './index.js';

const corpus = path.resolve(process.cwd(), '../shared/corpus');
const read = (file: string) => readFileSync(path.join(corpus, file));
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

const finding = (over: Partial<Finding> = {}): Finding => {
  const f = {
    vulnerability_id: 'CVE-1',
    package: 'pkg',
    installed_version: '1.0' as string | null,
    fixed_version: null,
    severity: 'high' as const,
    purl: null as string | null,
    targets: [],
    title: null,
    ...over,
  };
  return { id: `${f.vulnerability_id}|${f.package}|${f.installed_version ?? ''}`, ...f };
};
const statement = (over: Partial<VexStatement> = {}): VexStatement => ({
  vulnerability_id: 'CVE-1',
  products: [],
  status: 'not_affected',
  justification: null,
  ...over,
});

describe('applyVex with the corpus', () => {
  const scans = ['trivy', 'grype'].flatMap((dir) =>
    readdirSync(path.join(corpus, 'scans', dir)).map((name) => `scans/${dir}/${name}`),
  );
  const vexes = readdirSync(path.join(corpus, 'vex')).map((name) => `vex/${name}`);

  it('the CISA VEX documents (about product ABC) suppress nothing in the unrelated corpus scans', () => {
    for (const vexFile of vexes) {
      const { statements } = parseVex(read(vexFile)).summary;
      for (const scanFile of scans) {
        let findings: Finding[];
        try {
          findings = parseScan(read(scanFile)).summary.findings;
        } catch {
          continue; // the tarball in scans/grype is not a scan
        }
        const applied = applyVex(findings, statements);
        expect(applied.suppressed, `${vexFile} on ${scanFile}`).toEqual([]);
        expect(applied.remaining).toEqual(findings);
      }
    }
  });

  it('CISA case 1 suppresses Log4Shell in product ABC 4.2 only, not in another package or version', () => {
    const { statements } = parseVex(read('vex/cisa-case-1-not-affected.vex.cdx.json')).summary;
    const inProduct = finding({
      vulnerability_id: 'CVE-2021-44228',
      package: 'ABC',
      installed_version: '4.2',
    });
    const otherVersion = finding({
      vulnerability_id: 'CVE-2021-44228',
      package: 'ABC',
      installed_version: '4.3',
    });
    const inLog4j = finding({
      vulnerability_id: 'CVE-2021-44228',
      package: 'org.apache.logging.log4j:log4j-core',
      installed_version: '2.14.1',
      purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
    });
    const applied = applyVex([inProduct, otherVersion, inLog4j], statements);
    expect(applied.suppressed).toEqual([
      {
        finding_id: 'CVE-2021-44228|ABC|4.2',
        status: 'not_affected',
        vulnerability_id: 'CVE-2021-44228',
      },
    ]);
    expect(applied.remaining).toEqual([otherVersion, inLog4j]);
  });

  it('the conformance BOM with an embedded VEX suppresses its own finding (purl match)', () => {
    const file = 'conformance/cyclonedx/1.4/valid-vulnerability-1.4.json';
    const scan = parseScan(read(file)).summary;
    const { statements } = parseVex(read(file)).summary;
    const applied = applyVex(scan.findings, statements);
    expect(applied.remaining).toEqual([]);
    expect(applied.suppressed).toHaveLength(1);
  });

  it('an OpenVEX purl without qualifiers matches the Trivy purl with ?arch=…&distro=…', () => {
    const scan = parseScan(read('scans/trivy/alpine-310.json')).summary;
    const vex = parseVex(
      bytes({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [
          {
            vulnerability: { name: 'CVE-2019-1549' },
            products: [{ '@id': 'pkg:apk/alpine/libssl1.1@1.1.1c-r0' }],
            status: 'fixed',
          },
        ],
      }),
    );
    const applied = applyVex(scan.findings, vex.summary.statements);
    expect(applied.suppressed).toEqual([
      {
        finding_id: 'CVE-2019-1549|libssl1.1|1.1.1c-r0',
        status: 'fixed',
        vulnerability_id: 'CVE-2019-1549',
      },
    ]);
    expect(applied.remaining.map((f) => f.id)).toEqual([
      'CVE-2019-1549|libcrypto1.1|1.1.1c-r0',
      'CVE-2019-1551|libcrypto1.1|1.1.1c-r0',
      'CVE-2019-1551|libssl1.1|1.1.1c-r0',
    ]);
  });

  it('a name@version product matches a Grype finding that has no purl', () => {
    const scan = parseScan(read('scans/grype/image.grype.json')).summary;
    const applied = applyVex(scan.findings, [
      statement({ vulnerability_id: 'CVE-1999-0001', products: ['package-1@1.1.1'] }),
      statement({ vulnerability_id: 'CVE-1999-0002', products: ['package-2@9.9.9'] }),
    ]);
    expect(applied.suppressed.map((s) => s.finding_id)).toEqual(['CVE-1999-0001|package-1|1.1.1']);
  });
});

describe('applyVex rules', () => {
  it('only not_affected and fixed suppress', () => {
    const f = finding();
    for (const status of ['affected', 'under_investigation'] as const) {
      expect(applyVex([f], [statement({ status })]).remaining).toEqual([f]);
    }
    expect(applyVex([f], [statement({ status: 'fixed' })]).suppressed[0]?.status).toBe('fixed');
  });

  it('a statement without products covers every finding of its vulnerability; ids compare case-insensitively', () => {
    const applied = applyVex(
      [
        finding({ package: 'a' }),
        finding({ package: 'b' }),
        finding({ vulnerability_id: 'CVE-2' }),
      ],
      [statement({ vulnerability_id: 'cve-1' })],
    );
    expect(applied.suppressed.map((s) => s.finding_id)).toEqual(['CVE-1|a|1.0', 'CVE-1|b|1.0']);
    expect(applied.remaining.map((f) => f.id)).toEqual(['CVE-2|pkg|1.0']);
  });

  it('compares purls ignoring qualifiers and subpath but not version; falls back to exact text', () => {
    const f = finding({
      purl: 'pkg:npm/%40scope/lib@1.0.0?repository_url=x#dist/a.js',
      package: '@scope/lib',
      installed_version: '1.0.0',
    });
    const suppressedBy = (product: string) =>
      applyVex([f], [statement({ products: [product] })]).suppressed.length;
    expect(suppressedBy('pkg:npm/%40scope/lib@1.0.0')).toBe(1);
    expect(suppressedBy('pkg:NPM/%40scope/lib@1.0.0?foo=bar')).toBe(1);
    expect(suppressedBy('pkg:npm/%40scope/lib@1.0.1')).toBe(0);
    expect(suppressedBy('pkg:npm/%40scope/lib')).toBe(0);
    expect(suppressedBy('pkg:npm/%40other/lib@1.0.0')).toBe(0);
    expect(suppressedBy('@scope/lib@1.0.0')).toBe(1);
    expect(suppressedBy('@scope/lib')).toBe(0);
    const odd = finding({ purl: 'pkg:not a purl' });
    expect(applyVex([odd], [statement({ products: ['pkg:not a purl'] })]).suppressed).toHaveLength(
      1,
    );
    const versionless = finding({ installed_version: null });
    expect(applyVex([versionless], [statement({ products: ['pkg'] })]).suppressed).toHaveLength(1);
  });

  const arbFinding = fc
    .record({
      vulnerability_id: fc.constantFrom('CVE-1', 'CVE-2', 'CVE-3', 'cve-1'),
      package: fc.constantFrom('a', 'b'),
      installed_version: fc.option(fc.constantFrom('1', '2'), { nil: null }),
      purl: fc.option(fc.constantFrom('pkg:npm/a@1', 'pkg:npm/b@2?x=y', 'junk'), { nil: null }),
    })
    .map((f) => finding(f));
  const arbStatement = fc.record({
    vulnerability_id: fc.constantFrom('CVE-1', 'CVE-2', 'CVE-4'),
    products: fc.array(fc.constantFrom('pkg:npm/a@1', 'pkg:npm/b@2', 'a@1', 'b', 'junk'), {
      maxLength: 2,
    }),
    status: fc.constantFrom(
      'not_affected',
      'affected',
      'fixed',
      'under_investigation',
    ) as fc.Arbitrary<VexStatement['status']>,
    justification: fc.constant(null),
  });

  it('property: never removes a finding whose id no not_affected/fixed statement names; partitions the input', () => {
    fc.assert(
      fc.property(
        fc.array(arbFinding, { maxLength: 15 }),
        fc.array(arbStatement, { maxLength: 6 }),
        (findings, statements) => {
          const { remaining, suppressed } = applyVex(findings, statements);
          const named = new Set(
            statements
              .filter((s) => s.status === 'not_affected' || s.status === 'fixed')
              .map((s) => s.vulnerability_id.toUpperCase()),
          );
          for (const s of suppressed)
            expect(named.has(s.vulnerability_id.toUpperCase())).toBe(true);
          for (const f of findings) {
            if (!named.has(f.vulnerability_id.toUpperCase())) expect(remaining).toContain(f);
          }
          expect(remaining.length + suppressed.length).toBe(findings.length);
          // Re-applying the same VEX to what remains removes nothing more.
          expect(applyVex(remaining, statements).suppressed).toEqual([]);
        },
      ),
    );
  });
});
