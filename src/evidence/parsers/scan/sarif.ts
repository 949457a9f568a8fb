import { quote } from '../../../platform/text/quote.js';
import { arrayAt, isRecord, type JsonRecord, nonEmptyString, Problems } from './doc-reader.js';
import { FindingCollector } from './findings.js';
import { messageText, sarifPackage } from './sarif-package.js';
import { severityFromSarifLevel, severityFromScore } from './severity.js';
import type { FormatResult } from './trivy.js';
import type { Severity } from './types.js';

/** Result kinds that state "no problem here"; SARIF counts only the rest as findings. */
const NOT_A_FINDING = new Set(['pass', 'notApplicable']);

/** SARIF 2.1.0 from any tool: `runs[].results[]`, rules from `tool.driver.rules`. */
export function readSarif(doc: JsonRecord): FormatResult {
  const problems = new Problems();
  if (doc.version !== '2.1.0') {
    problems.add(['version'], `must be "2.1.0", got ${quote(doc.version ?? null)}`);
    problems.throwIfAny('Only SARIF 2.1.0 is accepted.', 'unsupported_version');
  }
  const collector = new FindingCollector();
  const tools: string[] = [];
  let toolVersion: string | null = null;
  let skipped = 0;
  let unlocated = 0;
  arrayAt(doc, 'runs', [], problems).forEach((run, r) => {
    if (!isRecord(run) || !isRecord(run.tool) || !isRecord(run.tool.driver)) {
      problems.add(['runs', r, 'tool', 'driver'], 'must be an object');
      return;
    }
    const driver = run.tool.driver;
    const name = nonEmptyString(driver.name)?.toLowerCase() ?? 'unknown';
    if (!tools.includes(name)) tools.push(name);
    toolVersion ??= nonEmptyString(driver.version) ?? nonEmptyString(driver.semanticVersion);
    const rules = arrayAt(driver, 'rules', ['runs', r, 'tool', 'driver'], problems);
    const rulesById = new Map<string, JsonRecord>();
    for (const rule of rules) {
      const id = isRecord(rule) ? nonEmptyString(rule.id) : null;
      if (id !== null && isRecord(rule) && !rulesById.has(id)) rulesById.set(id, rule);
    }
    arrayAt(run, 'results', ['runs', r], problems).forEach((result, i) => {
      const path = ['runs', r, 'results', i];
      if (!isRecord(result)) {
        problems.add(path, 'must be an object');
        return;
      }
      if (
        (typeof result.kind === 'string' && NOT_A_FINDING.has(result.kind)) ||
        result.baselineState === 'absent'
      ) {
        skipped += 1;
        return;
      }
      const ruleRef = isRecord(result.rule) ? result.rule : {};
      const index = typeof result.ruleIndex === 'number' ? result.ruleIndex : ruleRef.index;
      const byIndex = typeof index === 'number' ? rules[index] : undefined;
      const ruleId =
        nonEmptyString(result.ruleId) ??
        nonEmptyString(ruleRef.id) ??
        (isRecord(byIndex) ? nonEmptyString(byIndex.id) : null);
      if (ruleId === null) {
        problems.add([...path, 'ruleId'], 'a result needs a ruleId (or rule.id / ruleIndex)');
        return;
      }
      const rule = isRecord(byIndex) ? byIndex : (rulesById.get(ruleId) ?? null);
      const pkg = sarifPackage(result, rule, ruleId);
      const targets = locationUris(result);
      if (pkg.package === null) unlocated += 1;
      const base = {
        vulnerability_id: pkg.vulnerability_id,
        // Without package information the file is the most specific thing that was flagged.
        package: pkg.package ?? targets[0] ?? 'unknown',
        installed_version: pkg.installed_version,
        fixed_version: pkg.fixed_version,
        severity: sarifSeverity(result, rule),
        purl: pkg.purl,
        title: rule === null ? null : nonEmptyString(messageText(rule.shortDescription)),
      };
      if (targets.length === 0) collector.add({ ...base, target: null });
      for (const target of targets) collector.add({ ...base, target });
    });
  });
  problems.throwIfAny('The SARIF log is structurally invalid.');
  const warnings: string[] = [];
  if (skipped > 0)
    warnings.push(`${skipped} SARIF results were pass/notApplicable/absent; not counted.`);
  if (unlocated > 0) {
    warnings.push(
      `${unlocated} SARIF results name no package; their location (or "unknown") is used as the package.`,
    );
  }
  if (tools.length > 1) warnings.push(`SARIF log combines several tools: ${tools.join(', ')}.`);
  return {
    tool: tools.length === 0 ? 'unknown' : tools.join(', '),
    tool_version: toolVersion,
    spec_version: '2.1.0',
    collector,
    warnings,
  };
}

/**
 * `security-severity` (result, then rule property) in CVSS bands; when absent or 0, the
 * result's `level`, then the rule's `defaultConfiguration.level`, then SARIF's own default
 * level `warning` (SARIF 2.1.0 §3.27.10), hence medium.
 */
function sarifSeverity(result: JsonRecord, rule: JsonRecord | null): Severity {
  const score =
    severityFromScore(property(result.properties)) ?? severityFromScore(property(rule?.properties));
  if (score !== null) return score;
  const config =
    rule !== null && isRecord(rule.defaultConfiguration) ? rule.defaultConfiguration : {};
  return severityFromSarifLevel(result.level) ?? severityFromSarifLevel(config.level) ?? 'medium';
}

function property(properties: unknown): unknown {
  return isRecord(properties) ? properties['security-severity'] : undefined;
}

function locationUris(result: JsonRecord): string[] {
  const locations = Array.isArray(result.locations) ? result.locations : [];
  const uris: string[] = [];
  for (const location of locations) {
    if (!isRecord(location) || !isRecord(location.physicalLocation)) continue;
    const artifact = location.physicalLocation.artifactLocation;
    const uri = isRecord(artifact) ? nonEmptyString(artifact.uri) : null;
    if (uri !== null) uris.push(uri);
  }
  return uris;
}
