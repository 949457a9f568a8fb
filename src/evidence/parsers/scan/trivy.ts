import { quote } from '../../../platform/text/quote.js';
import { arrayAt, isRecord, type JsonRecord, nonEmptyString, Problems } from './doc-reader.js';
import { FindingCollector } from './findings.js';
import { severityFromTrivy } from './severity.js';
import type { Severity } from './types.js';

export interface FormatResult {
  tool: string;
  tool_version: string | null;
  spec_version: string | null;
  collector: FindingCollector;
  warnings: string[];
}

/** Trivy JSON, SchemaVersion 2: `Results[].Vulnerabilities[]`, one entry per target hit. */
export function readTrivy(doc: JsonRecord): FormatResult {
  const problems = new Problems();
  if (doc.SchemaVersion !== 2) {
    problems.add(
      ['SchemaVersion'],
      `must be 2 (Trivy's current JSON report), got ${quote(doc.SchemaVersion ?? null)}`,
    );
    problems.throwIfAny('Unsupported Trivy report version.', 'unsupported_version');
  }
  const collector = new FindingCollector();
  let unrated = 0;
  const results = arrayAt(doc, 'Results', [], problems);
  results.forEach((result, r) => {
    if (!isRecord(result)) {
      problems.add(['Results', r], 'must be an object');
      return;
    }
    const target = nonEmptyString(result.Target);
    arrayAt(result, 'Vulnerabilities', ['Results', r], problems).forEach((vuln, v) => {
      const path = ['Results', r, 'Vulnerabilities', v];
      if (!isRecord(vuln)) {
        problems.add(path, 'must be an object');
        return;
      }
      const id = nonEmptyString(vuln.VulnerabilityID);
      const pkg = nonEmptyString(vuln.PkgName);
      if (id === null) problems.add([...path, 'VulnerabilityID'], 'must be a non-empty string');
      if (pkg === null) problems.add([...path, 'PkgName'], 'must be a non-empty string');
      if (id === null || pkg === null) return;
      let severity: Severity | null = severityFromTrivy(vuln.Severity);
      if (severity === null) {
        unrated += 1;
        severity = 'unknown';
      }
      const identifier = isRecord(vuln.PkgIdentifier) ? vuln.PkgIdentifier : {};
      collector.add({
        vulnerability_id: id,
        package: pkg,
        installed_version: nonEmptyString(vuln.InstalledVersion),
        fixed_version: nonEmptyString(vuln.FixedVersion),
        severity,
        purl: nonEmptyString(identifier.PURL),
        target,
        title: nonEmptyString(vuln.Title),
      });
    });
  });
  problems.throwIfAny('The Trivy report is structurally invalid.');
  const trivy = isRecord(doc.Trivy) ? doc.Trivy : {};
  return {
    tool: 'trivy',
    tool_version: nonEmptyString(trivy.Version),
    spec_version: '2',
    collector,
    warnings:
      unrated > 0
        ? [`${unrated} Trivy vulnerabilities had no recognised Severity; counted as unknown.`]
        : [],
  };
}
