import { cycloneDxTool, indexComponents, resolveRef } from './cyclonedx-components.js';
import {
  arrayAt,
  isRecord,
  type JsonRecord,
  nonEmptyString,
  type PathSegments,
  Problems,
} from './doc-reader.js';
import { FindingCollector } from './findings.js';
import { maxSeverity, severityFromCycloneDx, severityFromScore } from './severity.js';
import type { FormatResult } from './trivy.js';
import type { Severity } from './types.js';

/** CycloneDX with `vulnerabilities[]`: one finding per (vulnerability, affected component). */
export function readCycloneDxVulns(doc: JsonRecord): FormatResult {
  const problems = new Problems();
  const warnings: string[] = [];
  const collector = new FindingCollector();
  const index = indexComponents(doc);
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const subject = isRecord(metadata.component) ? metadata.component : null;
  const unresolved = new Set<string>();
  let analysed = 0;
  let unplaced = 0;
  const vulns = arrayAt(doc, 'vulnerabilities', [], problems);
  vulns.forEach((vuln, v) => {
    const path = ['vulnerabilities', v];
    if (!isRecord(vuln)) {
      problems.add(path, 'must be an object');
      return;
    }
    const id = nonEmptyString(vuln.id);
    if (id === null) {
      problems.add([...path, 'id'], 'must be a non-empty string');
      return;
    }
    if (isRecord(vuln.analysis)) analysed += 1;
    const severity = ratingSeverity(vuln, path, problems);
    const affects = arrayAt(vuln, 'affects', path, problems);
    const base = { vulnerability_id: id, severity, title: null, target: null };
    if (affects.length === 0) {
      // No `affects`: the vulnerability is about the BOM's own subject.
      if (subject === null) unplaced += 1;
      collector.add({
        ...base,
        package: nonEmptyString(subject?.name) ?? 'unknown',
        installed_version: nonEmptyString(subject?.version),
        fixed_version: null,
        purl: nonEmptyString(subject?.purl),
      });
      return;
    }
    affects.forEach((affect, a) => {
      const ref = isRecord(affect) ? nonEmptyString(affect.ref) : null;
      if (ref === null) {
        problems.add([...path, 'affects', a, 'ref'], 'must be a non-empty string');
        return;
      }
      const component = resolveRef(ref, index, doc.serialNumber);
      if (component === null) unresolved.add(ref);
      collector.add({
        ...base,
        package: component?.name ?? ref,
        installed_version: component?.version ?? null,
        fixed_version: fixedVersion(affect, vuln),
        purl: component?.purl ?? null,
      });
    });
  });
  problems.throwIfAny('The CycloneDX vulnerability report is structurally invalid.');
  if (unresolved.size > 0) {
    warnings.push(
      `${unresolved.size} affects refs match no component bom-ref; the ref is used as the package name.`,
    );
  }
  if (unplaced > 0) {
    warnings.push(`${unplaced} vulnerabilities name no affected component; package "unknown".`);
  }
  if (vulns.length === 0 && index.size > 0) {
    warnings.push(
      `No vulnerabilities are listed for ${index.size} components. A clean scan, or an SBOM (Trivy CycloneDX output can carry an empty list)? If it is an SBOM, upload it with kind=sbom.`,
    );
  }
  if (analysed > 0) {
    warnings.push(
      `${analysed} vulnerabilities carry a VEX analysis, which a scan does not apply; upload the document with kind=vex for it to suppress findings.`,
    );
  }
  const tool = cycloneDxTool(doc);
  if (tool.name === null) warnings.push('CycloneDX metadata.tools names no tool.');
  return {
    tool: (tool.name ?? 'unknown').toLowerCase(),
    tool_version: tool.version,
    spec_version: nonEmptyString(doc.specVersion),
    collector,
    warnings,
  };
}

/**
 * Highest explicit `ratings[].severity`. Only when no rating states a real severity does a
 * score decide, and only a CVSS score (method CVSS* or unstated): Grype adds EPSS
 * probabilities and KEV flags as `method: other` ratings whose scores are not on that scale.
 */
function ratingSeverity(vuln: JsonRecord, path: PathSegments, problems: Problems): Severity {
  let stated: Severity = 'unknown';
  let scored: Severity = 'unknown';
  arrayAt(vuln, 'ratings', path, problems).forEach((rating, r) => {
    if (!isRecord(rating)) {
      problems.add([...path, 'ratings', r], 'must be an object');
      return;
    }
    const explicit = severityFromCycloneDx(rating.severity);
    if (explicit !== null) stated = maxSeverity(stated, explicit);
    const method = typeof rating.method === 'string' ? rating.method : null;
    if (method === null || method.toUpperCase().startsWith('CVSS')) {
      scored = maxSeverity(scored, severityFromScore(rating.score) ?? 'unknown');
    }
  });
  return stated !== 'unknown' ? stated : scored;
}

/** `affects[].versions[]` with status `unaffected` (the fixed range), else Trivy's recommendation. */
function fixedVersion(affect: unknown, vuln: JsonRecord): string | null {
  const versions = isRecord(affect) && Array.isArray(affect.versions) ? affect.versions : [];
  const fixed = versions
    .filter((v): v is JsonRecord => isRecord(v) && v.status === 'unaffected')
    .map((v) => nonEmptyString(v.version) ?? nonEmptyString(v.range))
    .filter((v): v is string => v !== null);
  if (fixed.length > 0) return fixed.join(', ');
  const recommendation = nonEmptyString(vuln.recommendation);
  // Only Trivy's exact wording; free text ("… 2.9.5 or higher.") is not a version.
  const match =
    recommendation === null
      ? null
      : /^Upgrade \S+ to version (\S+(?:, \S+)*)$/.exec(recommendation);
  return match === null ? null : match[1]!;
}
