import { arrayAt, isRecord, type JsonRecord, nonEmptyString, Problems } from './doc-reader.js';
import { FindingCollector } from './findings.js';
import { severityFromGrype } from './severity.js';
import type { FormatResult } from './trivy.js';

/** Grype JSON: `matches[]` of { vulnerability, artifact }, tool in `descriptor`. */
export function readGrype(doc: JsonRecord): FormatResult {
  const problems = new Problems();
  const collector = new FindingCollector();
  let unrated = 0;
  arrayAt(doc, 'matches', [], problems).forEach((match, m) => {
    const path = ['matches', m];
    if (!isRecord(match)) {
      problems.add(path, 'must be an object');
      return;
    }
    const vuln = match.vulnerability;
    const artifact = match.artifact;
    if (!isRecord(vuln)) problems.add([...path, 'vulnerability'], 'must be an object');
    if (!isRecord(artifact)) problems.add([...path, 'artifact'], 'must be an object');
    if (!isRecord(vuln) || !isRecord(artifact)) return;
    const id = nonEmptyString(vuln.id);
    const pkg = nonEmptyString(artifact.name);
    if (id === null) problems.add([...path, 'vulnerability', 'id'], 'must be a non-empty string');
    if (pkg === null) problems.add([...path, 'artifact', 'name'], 'must be a non-empty string');
    if (id === null || pkg === null) return;
    let severity = severityFromGrype(vuln.severity);
    if (severity === null) {
      unrated += 1;
      severity = 'unknown';
    }
    const fix = isRecord(vuln.fix) ? vuln.fix : {};
    const fixVersions = Array.isArray(fix.versions)
      ? fix.versions.map(nonEmptyString).filter((v): v is string => v !== null)
      : [];
    const locations = Array.isArray(artifact.locations) ? artifact.locations : [];
    const paths = locations
      .map((loc) => (isRecord(loc) ? nonEmptyString(loc.path) : null))
      .filter((p): p is string => p !== null);
    const base = {
      vulnerability_id: id,
      package: pkg,
      installed_version: nonEmptyString(artifact.version),
      // Same shape as Trivy's FixedVersion ("6.0.3.1, 5.2.4.3") so clients read one format.
      fixed_version: fixVersions.length > 0 ? fixVersions.join(', ') : null,
      severity,
      purl: nonEmptyString(artifact.purl),
      // Grype carries a long description, not a title; a title-sized field would be invented.
      title: null,
    };
    if (paths.length === 0) collector.add({ ...base, target: null });
    for (const target of paths) collector.add({ ...base, target });
  });
  problems.throwIfAny('The Grype report is structurally invalid.');
  const descriptor = isRecord(doc.descriptor) ? doc.descriptor : {};
  const warnings: string[] = [];
  if (!isRecord(doc.descriptor))
    warnings.push('Grype report has no descriptor; tool assumed grype.');
  if (unrated > 0) {
    warnings.push(`${unrated} Grype matches had no recognised severity; counted as unknown.`);
  }
  return {
    tool: (nonEmptyString(descriptor.name) ?? 'grype').toLowerCase(),
    tool_version: nonEmptyString(descriptor.version),
    spec_version: null,
    collector,
    warnings,
  };
}
