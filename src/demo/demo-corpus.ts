import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: this file is src/demo/ (tsx) or dist/demo/ (built), two levels down. */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared corpus beside the package, as the tests and the bench read it. */
export const DEFAULT_CORPUS_DIR = path.resolve(PACKAGE_ROOT, '../shared/corpus');

/** The corpus documents the demo attaches, kept unchanged, by path inside the corpus. */
export const DEMO_DOCUMENTS = {
  sbomSmall: 'sbom/cyclonedx/proton-bridge-1.6.3.cdx.json',
  sbomSmallNext: 'sbom/cyclonedx/proton-bridge-1.8.0.cdx.json',
  sbomLaravel: 'sbom/cyclonedx/laravel-7.12.0.cdx-1.4.json',
  sbomLarge: 'sbom/cyclonedx/juice-shop-11.1.2.cdx.json',
  cleanScan: 'scans/trivy/alpine-310.json',
  criticalScan: 'scans/trivy/fluentd-gems.json',
  vex: 'vex/cisa-case-1-not-affected.vex.cdx.json',
} as const;

export type DemoDocument = keyof typeof DEMO_DOCUMENTS;

export class MissingCorpusError extends Error {
  override readonly name = 'MissingCorpusError';
}

export interface DemoCorpus {
  dir: string;
  read(document: DemoDocument): Buffer;
}

/** Checks that every document the demo needs is there, and reads them on demand. */
export function openDemoCorpus(dir: string = DEFAULT_CORPUS_DIR): DemoCorpus {
  const root = path.resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new MissingCorpusError(
      `corpus directory ${root} not found (give the shared evidence corpus with --corpus DIR)`,
    );
  }
  const missing = [...Object.values(DEMO_DOCUMENTS), ...TRIVY_REPORTS].filter(
    (p) => !existsSync(path.join(root, p)),
  );
  if (missing.length > 0) {
    throw new MissingCorpusError(`corpus ${root} lacks ${missing.join(', ')}`);
  }
  return { dir: root, read: (document) => readFileSync(path.join(root, DEMO_DOCUMENTS[document])) };
}

/** A finding of a Trivy report that blocks a pack (critical) or violates policy (high). */
export interface BlockingFinding {
  id: string;
  severity: 'critical' | 'high';
}

/**
 * The critical and high findings of a Trivy JSON report, with the ids the scan parser gives
 * them (`<vulnerability id>|<package>|<installed version>`), read from the document itself.
 */
export function trivyBlockingFindings(document: Buffer | string): BlockingFinding[] {
  const report = JSON.parse(document.toString()) as {
    Results?: {
      Vulnerabilities?: {
        VulnerabilityID: string;
        PkgName: string;
        InstalledVersion?: string;
        Severity?: string;
      }[];
    }[];
  };
  const found = new Map<string, BlockingFinding>();
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      const severity = v.Severity?.toLowerCase();
      if (severity !== 'critical' && severity !== 'high') continue;
      const id = `${v.VulnerabilityID}|${v.PkgName}|${v.InstalledVersion ?? ''}`;
      if (found.get(id)?.severity !== 'critical') found.set(id, { id, severity });
    }
  }
  return [...found.values()];
}

/** The corpus's Trivy JSON reports (SchemaVersion 2), merged by strictFleetScan. */
const TRIVY_REPORTS = [
  'scans/trivy/alpine-310.json',
  'scans/trivy/centos-7.json',
  'scans/trivy/debian-stretch.json',
  'scans/trivy/fluentd-gems.json',
  'scans/trivy/npm.json',
  'scans/trivy/spring4shell-jre8.json',
];

/**
 * The one derived document of the demo. The corpus holds one critical and one high finding in
 * all (fluentd-gems), and under risk model 1.0 no pack reaches CRITICAL on those: the
 * vulnerability factor needs critical + 0.5 × high above 3. So the CRITICAL pack's scan is
 * every result of the six real Trivy reports in one report (a fleet scan), with every finding
 * below HIGH re-rated HIGH, as a strict internal severity policy would, and as the test
 * fixtures re-rate generated reports. Vulnerabilities, packages and versions stay as Trivy
 * wrote them; only `Severity` is raised.
 */
export function strictFleetScan(corpus: DemoCorpus): string {
  type Report = {
    Results?: { Vulnerabilities?: { Severity?: string }[] }[];
  } & Record<string, unknown>;
  const reports = TRIVY_REPORTS.map(
    (p) => JSON.parse(readFileSync(path.join(corpus.dir, p), 'utf8')) as Report,
  );
  const results = reports.flatMap((r) => r.Results ?? []);
  for (const result of results) {
    for (const v of result.Vulnerabilities ?? []) {
      if (v.Severity?.toUpperCase() !== 'CRITICAL') v.Severity = 'HIGH';
    }
  }
  const base = reports.find((_, i) => TRIVY_REPORTS[i]!.endsWith('fluentd-gems.json'))!;
  return JSON.stringify({ ...base, ArtifactName: 'fleet', Results: results });
}
