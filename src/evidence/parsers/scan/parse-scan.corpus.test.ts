import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseScan } from './parse-scan.js';

/**
 * Every real scan in the shared corpus, checked against counts computed HERE by a separate,
 * deliberately naive walk of the raw JSON (no helper from the implementation).
 */
const corpus = path.resolve(process.cwd(), '../shared/corpus');
const scansDir = path.join(corpus, 'scans');

type Sev = 'critical' | 'high' | 'medium' | 'low' | 'unknown';
const order: Sev[] = ['unknown', 'low', 'medium', 'high', 'critical'];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** Raw-JSON accessors for the independent walk: `at(doc, 'a', 0, 'b')`, never throwing. */
function at(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function band(score: number): Sev | null {
  if (!(score > 0)) return null;
  return score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low';
}

/** key → highest severity, computed independently per format. */
function expected(doc: unknown): Map<string, Sev> {
  const keys = new Map<string, Sev>();
  const put = (key: string, sev: string) => {
    const s = sev as Sev;
    const prev = keys.get(key);
    keys.set(key, prev === undefined || order.indexOf(s) > order.indexOf(prev) ? s : prev);
  };
  if (at(doc, 'SchemaVersion') !== undefined) {
    for (const result of list(at(doc, 'Results'))) {
      for (const v of list(at(result, 'Vulnerabilities'))) {
        const key = `${text(at(v, 'VulnerabilityID'))}|${text(at(v, 'PkgName'))}|${text(at(v, 'InstalledVersion'))}`;
        put(key, text(at(v, 'Severity')).toLowerCase());
      }
    }
  } else if (at(doc, 'matches') !== undefined) {
    for (const m of list(at(doc, 'matches'))) {
      const s = text(at(m, 'vulnerability', 'severity')).toLowerCase();
      const key = `${text(at(m, 'vulnerability', 'id'))}|${text(at(m, 'artifact', 'name'))}|${text(at(m, 'artifact', 'version'))}`;
      put(key, s === 'negligible' ? 'low' : s);
    }
  } else if (at(doc, 'runs') !== undefined) {
    const level: Record<string, Sev> = {
      error: 'high',
      warning: 'medium',
      note: 'low',
      none: 'unknown',
    };
    for (const run of list(at(doc, 'runs'))) {
      const rules = list(at(run, 'tool', 'driver', 'rules'));
      for (const r of list(at(run, 'results'))) {
        const rule = rules.find((x) => at(x, 'id') === at(r, 'ruleId'));
        const sev =
          band(Number(at(rule, 'properties', 'security-severity'))) ??
          level[text(at(r, 'level'))] ??
          'medium';
        // Trivy names the package in the location message ("target: pkg@version"); Grype
        // makes one rule per (vulnerability, package).
        const where = text(at(r, 'locations', 0, 'message', 'text'))
          .split(': ')
          .pop();
        put(`${text(at(r, 'ruleId'))}|${where}`, sev);
      }
    }
  } else if (at(doc, 'bomFormat') === 'CycloneDX') {
    for (const v of list(at(doc, 'vulnerabilities'))) {
      const sevs = list(at(v, 'ratings'))
        .map((r) => text(at(r, 'severity')))
        .filter(Boolean);
      const sev =
        sevs.sort((a, b) => order.indexOf(b as Sev) - order.indexOf(a as Sev))[0] ?? 'unknown';
      for (const a of list(at(v, 'affects')))
        put(`${text(at(v, 'id'))}|${text(at(a, 'ref'))}`, sev);
    }
  } else {
    throw new Error('corpus file of unknown format');
  }
  return keys;
}

const files = walk(scansDir).sort();

describe('parseScan on the real-world corpus', () => {
  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  for (const file of files) {
    const name = path.relative(scansDir, file);
    const bytes = readFileSync(file);
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8'));
    } catch {
      raw = undefined;
    }

    if (raw === undefined) {
      // scans/grype/anchore-fixture-image-simple.grype.json is a `docker save` tarball (Grype's
      // test INPUT image), not a report: it must be refused with a message saying what it is.
      it(`${name}: not JSON, refused with a clear message`, () => {
        const error = catchError(() => parseScan(bytes));
        expect(error).toBeInstanceOf(InvalidDocumentError);
        expect(error.reason).toBe('unsupported_format');
        expect(error.message).toMatch(/tar archive/);
      });
      continue;
    }

    it(`${name}: finding_count and severity_counts match an independent walk`, () => {
      const keys = expected(raw);
      const counts: Record<Sev, number> = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
      for (const sev of keys.values()) counts[sev] += 1;
      const parsed = parseScan(bytes);
      expect(parsed.summary.finding_count).toBe(keys.size);
      expect(parsed.summary.severity_counts).toEqual(counts);
      expect(parsed.summary.findings).toHaveLength(keys.size);
      expect(parsed.summary.passed).toBe(counts.critical === 0 && counts.high === 0);
      expect(new Set(parsed.summary.findings.map((f) => f.id)).size).toBe(keys.size);
    });
  }

  it('reads the same alpine scan identically from Trivy JSON and Trivy SARIF', () => {
    const json = parseScan(readFileSync(path.join(scansDir, 'trivy/alpine-310.json')));
    const sarif = parseScan(readFileSync(path.join(scansDir, 'trivy/alpine-310.sarif.json')));
    const strip = (f: {
      id: string;
      severity: string;
      fixed_version: string | null;
      title: string | null;
    }) => ({
      id: f.id,
      severity: f.severity,
      fixed_version: f.fixed_version,
      title: f.title,
    });
    expect(sarif.summary.findings.map(strip)).toEqual(json.summary.findings.map(strip));
    expect(json.summary).toMatchObject({ tool: 'trivy', tool_version: 'dev', passed: true });
    expect(sarif).toMatchObject({ format: 'sarif', spec_version: '2.1.0' });
    expect(sarif.summary.tool).toBe('trivy');
  });

  it('reads Grype JSON and Grype CycloneDX alike; Grype SARIF re-rates by CVSS band', () => {
    const json = parseScan(readFileSync(path.join(scansDir, 'grype/image.grype.json')));
    const cdx = parseScan(readFileSync(path.join(scansDir, 'grype/image.grype.cdx.json')));
    const sarif = parseScan(readFileSync(path.join(scansDir, 'grype/image.grype.sarif.json')));
    expect(json.summary.severity_counts).toEqual({
      critical: 1,
      high: 0,
      medium: 0,
      low: 1,
      unknown: 0,
    });
    expect(cdx.summary.severity_counts).toEqual(json.summary.severity_counts);
    expect(cdx.summary.findings.map((f) => f.id)).toEqual(json.summary.findings.map((f) => f.id));
    // security-severity 8.2 and 8.5 are both "high" by the documented bands, although Grype's
    // own rating says low and critical: the SARIF carries only the CVSS score.
    expect(sarif.summary.severity_counts).toEqual({
      critical: 0,
      high: 2,
      medium: 0,
      low: 0,
      unknown: 0,
    });
    expect(sarif.summary.findings.map((f) => f.id)).toEqual(json.summary.findings.map((f) => f.id));
    expect(sarif.summary.findings[0]).toMatchObject({
      vulnerability_id: 'CVE-1999-0001',
      package: 'package-1',
      installed_version: '1.1.1',
      fixed_version: '1.2.1, 2.1.3, 3.4.0',
      targets: ['user-input/somefile-1.txt'],
    });
    expect(sarif.summary.findings[1]?.purl).toBe('pkg:deb/package-2@2.2.2');
    expect(json.summary).toMatchObject({ tool: 'grype', tool_version: '[not provided]' });
  });

  it('keeps purls, fixed versions and targets from Trivy JSON', () => {
    const fluentd = parseScan(readFileSync(path.join(scansDir, 'trivy/fluentd-gems.json')));
    expect(fluentd.summary.findings[1]).toEqual({
      id: 'CVE-2020-8165|activesupport|6.0.2.1',
      vulnerability_id: 'CVE-2020-8165',
      package: 'activesupport',
      installed_version: '6.0.2.1',
      fixed_version: '6.0.3.1, 5.2.4.3',
      severity: 'high',
      purl: 'pkg:gem/activesupport@6.0.2.1',
      targets: ['Ruby'],
      title: expect.stringContaining('activesupport'),
    });
    expect(fluentd.summary.passed).toBe(false);
    const cdx = parseScan(readFileSync(path.join(scansDir, 'trivy/npm-cyclonedx.json')));
    expect(cdx).toMatchObject({ format: 'cyclonedx', spec_version: '1.7' });
    expect(cdx.summary.findings[0]).toMatchObject({
      id: 'CVE-2019-11358|jquery|3.3.9',
      purl: 'pkg:npm/jquery@3.3.9',
      fixed_version: '3.4.0',
      severity: 'medium',
    });
  });

  it('refuses every corpus SBOM as the wrong kind (except the one with an empty vulnerabilities list)', () => {
    const sboms = walk(path.join(corpus, 'sbom')).filter((f) => !f.endsWith('.jsonl'));
    expect(sboms.length).toBeGreaterThan(5);
    for (const file of sboms) {
      const doc: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (Array.isArray(at(doc, 'vulnerabilities'))) {
        // trivy-fluentd-multiple-lockfiles.cdx.json: `"vulnerabilities": []` makes it a clean scan.
        const parsed = parseScan(readFileSync(file));
        expect(parsed.summary.finding_count).toBe(0);
        expect(parsed.warnings.join(' ')).toMatch(/kind=sbom/);
        continue;
      }
      const error = catchError(() => parseScan(readFileSync(file)));
      expect(error.reason, file).toBe('wrong_kind');
      expect(error.message).toMatch(/kind=sbom/);
    }
  });

  it('refuses the DSSE-wrapped CycloneDX SBOM as the wrong kind', () => {
    const file = path.join(corpus, 'sbom/cyclonedx/trivy-centos-7.cdx.intoto.jsonl');
    const error = catchError(() => parseScan(readFileSync(file)));
    expect(error.reason).toBe('wrong_kind');
  });

  it('refuses the corpus VEX documents as the wrong kind', () => {
    for (const name of readdirSync(path.join(corpus, 'vex'))) {
      const error = catchError(() => parseScan(readFileSync(path.join(corpus, 'vex', name))));
      expect(error.reason).toBe('wrong_kind');
      expect(error.message).toMatch(/kind=vex/);
    }
  });

  it('reads the CycloneDX conformance vulnerability examples as scans', () => {
    for (const v of ['1.4', '1.5']) {
      const file = path.join(corpus, `conformance/cyclonedx/${v}/valid-vulnerability-${v}.json`);
      const parsed = parseScan(readFileSync(file));
      expect(parsed.summary.findings).toEqual([
        expect.objectContaining({
          vulnerability_id: 'SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111',
          package: 'jackson-databind',
          installed_version: '2.9.4',
          severity: 'critical',
          purl: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4',
          fixed_version: null,
        }),
      ]);
      expect(parsed.warnings.join(' ')).toMatch(/kind=vex/);
    }
  });
});

function catchError(fn: () => unknown): InvalidDocumentError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidDocumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidDocumentError');
}
