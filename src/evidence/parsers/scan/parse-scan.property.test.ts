import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScan } from './index.js';

const encode = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));

// Small pools so generated reports collide on (vulnerability, package, version) often.
const trivyVuln = fc.record({
  VulnerabilityID: fc.constantFrom('CVE-2024-1', 'CVE-2024-2', 'GHSA-abcd-efgh-ijkl', 'cve-2024-1'),
  PkgName: fc.constantFrom('openssl', 'zlib', 'lodash', '@scope/pkg'),
  InstalledVersion: fc.option(fc.constantFrom('1.0.0', '1.0.1', '2.0'), { nil: undefined }),
  FixedVersion: fc.option(fc.constantFrom('1.0.2', ''), { nil: undefined }),
  Severity: fc.constantFrom('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN', 'weird'),
});
const target = fc.record({
  Target: fc.constantFrom('img (debian 12)', 'app/package-lock.json', 'Java', ''),
  Vulnerabilities: fc.array(trivyVuln, { maxLength: 12 }),
});
const trivyReport = fc.array(target, { maxLength: 5 }).map((Results) => ({
  SchemaVersion: 2,
  ArtifactName: 'x',
  Results,
}));

const grypeReport = fc
  .array(
    fc.record({
      vulnerability: fc.record({
        id: fc.constantFrom('CVE-1', 'CVE-2', 'CVE-3'),
        severity: fc.constantFrom('Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'),
      }),
      artifact: fc.record({
        name: fc.constantFrom('a', 'b'),
        version: fc.constantFrom('1', '2', ''),
        locations: fc.array(fc.record({ path: fc.constantFrom('/x', '/y') }), { maxLength: 3 }),
      }),
    }),
    { maxLength: 20 },
  )
  .map((matches) => ({ matches, descriptor: { name: 'grype', version: '1' } }));

const cycloneReport = fc
  .array(
    fc.record({
      id: fc.constantFrom('CVE-1', 'CVE-2'),
      ratings: fc.array(
        fc.record({
          severity: fc.option(
            fc.constantFrom('critical', 'high', 'medium', 'low', 'info', 'none', 'unknown'),
            {
              nil: undefined,
            },
          ),
          score: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: undefined }),
        }),
        { maxLength: 3 },
      ),
      affects: fc.array(
        fc.record({ ref: fc.constantFrom('c1', 'c2', 'pkg:npm/x@1', 'dangling') }),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 10 },
  )
  .map((vulnerabilities) => ({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    components: [
      { 'bom-ref': 'c1', name: 'one', version: '1' },
      { 'bom-ref': 'c2', name: 'two', version: '2' },
    ],
    vulnerabilities,
  }));

describe('parseScan properties', () => {
  it('severity_counts always sum to finding_count, ids are unique, passed matches the counts', () => {
    fc.assert(
      fc.property(fc.oneof(trivyReport, grypeReport, cycloneReport), (doc) => {
        const { summary } = parseScan(encode(doc));
        const sum = Object.values(summary.severity_counts).reduce((a, b) => a + b, 0);
        expect(sum).toBe(summary.finding_count);
        expect(summary.findings).toHaveLength(summary.finding_count);
        expect(new Set(summary.findings.map((f) => f.id)).size).toBe(summary.finding_count);
        expect(summary.passed).toBe(
          summary.severity_counts.critical + summary.severity_counts.high === 0,
        );
      }),
    );
  });

  it('dedup is idempotent: repeating every Trivy finding under other targets changes no count', () => {
    fc.assert(
      fc.property(trivyReport, fc.integer({ min: 1, max: 3 }), (doc, copies) => {
        const before = parseScan(encode(doc)).summary;
        const repeated = {
          ...doc,
          Results: [
            ...doc.Results,
            ...Array.from({ length: copies }, (_, c) =>
              doc.Results.map((r) => ({ ...r, Target: `copy-${c}/${r.Target}` })),
            ).flat(),
          ],
        };
        const after = parseScan(encode(repeated)).summary;
        expect(after.finding_count).toBe(before.finding_count);
        expect(after.severity_counts).toEqual(before.severity_counts);
        expect(after.findings.map((f) => f.id)).toEqual(before.findings.map((f) => f.id));
      }),
    );
  });

  it('dedup is idempotent for SARIF: the same results at more locations change no count', () => {
    const result = fc.record({
      ruleId: fc.constantFrom('CVE-1', 'CVE-2'),
      level: fc.constantFrom('error', 'warning', 'note', 'none'),
      message: fc
        .constantFrom('a', 'b')
        .map((p) => ({ text: `Package: ${p}\nInstalled Version: 1` })),
      locations: fc.array(
        fc
          .constantFrom('x', 'y')
          .map((uri) => ({ physicalLocation: { artifactLocation: { uri } } })),
        {
          maxLength: 2,
        },
      ),
    });
    fc.assert(
      fc.property(fc.array(result, { maxLength: 15 }), (results) => {
        const log = (rs: unknown[]) => ({
          version: '2.1.0',
          runs: [{ tool: { driver: { name: 't' } }, results: rs }],
        });
        const before = parseScan(encode(log(results))).summary;
        const moved = results.map((r) => ({
          ...r,
          locations: [...r.locations, { physicalLocation: { artifactLocation: { uri: 'z' } } }],
        }));
        const after = parseScan(encode(log([...results, ...moved]))).summary;
        expect(after.severity_counts).toEqual(before.severity_counts);
        expect(after.finding_count).toBe(before.finding_count);
      }),
    );
  });
});
