import { parsePurl } from './cyclonedx-components.js';
import { isRecord, type JsonRecord, nonEmptyString } from './doc-reader.js';

export interface SarifPackage {
  vulnerability_id: string;
  package: string | null;
  installed_version: string | null;
  fixed_version: string | null;
  purl: string | null;
}

/**
 * SARIF has no package field, so each scanner puts it somewhere else. Tried in order:
 * 1. Trivy result message: `Package: X` / `Installed Version: Y` / `Fixed Version: Z` lines.
 * 2. Grype result message: `… package: X, version Y was found …`.
 * 3. A purl in result or rule `properties.purls` (Grype sets it on the rule).
 * 4. The rule's help text (`Package:` / `Version:` / `Fix Version:` lines). Grype emits one
 *    rule per (vulnerability, package) so this is exact there; Trivy shares one rule across
 *    packages, which is why the result message comes first.
 * The vulnerability id is the `Vulnerability X` line when it is the ruleId or a prefix of it
 * (Grype's ruleId is `CVE-…-<package>`), else the ruleId itself (any other tool).
 */
export function sarifPackage(
  result: JsonRecord,
  rule: JsonRecord | null,
  ruleId: string,
): SarifPackage {
  const message = messageText(result.message);
  const help = rule === null ? '' : messageText(rule.help);
  const fromProps = purlFrom(result.properties) ?? purlFrom(rule?.properties);

  let pkg = line(message, 'Package');
  let version = line(message, 'Installed Version');
  let fixed = line(message, 'Fixed Version');
  if (pkg === null) {
    const grype = /package: ([^,\s]+), version (\S+)/.exec(message);
    if (grype !== null) {
      pkg = grype[1]!;
      version = grype[2]!;
    }
  }
  if (pkg === null && fromProps !== null) {
    pkg = fromProps.name;
    version = fromProps.version;
  }
  if (pkg === null) {
    pkg = line(help, 'Package');
    version = line(help, 'Version') ?? line(help, 'Installed Version');
  }
  fixed ??= line(help, 'Fix Version') ?? line(help, 'Fixed Version');

  return {
    vulnerability_id: vulnerabilityId(ruleId, message, help, pkg),
    package: pkg,
    installed_version: version,
    fixed_version: fixed === null ? null : normaliseList(fixed),
    purl: fromProps?.purl ?? null,
  };
}

function vulnerabilityId(
  ruleId: string,
  message: string,
  help: string,
  pkg: string | null,
): string {
  for (const text of [message, help]) {
    const match = /^\**Vulnerability ([^\s*]+)/m.exec(text);
    const candidate = match?.[1];
    if (candidate !== undefined && (ruleId === candidate || ruleId.startsWith(`${candidate}-`))) {
      return candidate;
    }
  }
  if (pkg !== null && ruleId.endsWith(`-${pkg}`) && ruleId.length > pkg.length + 1) {
    return ruleId.slice(0, -(pkg.length + 1));
  }
  return ruleId;
}

export function messageText(message: unknown): string {
  if (!isRecord(message)) return '';
  return nonEmptyString(message.text) ?? nonEmptyString(message.markdown) ?? '';
}

function line(text: string, label: string): string | null {
  const match = new RegExp(`^${label}: *(.*)$`, 'm').exec(text);
  return match === null ? null : nonEmptyString(match[1]);
}

function normaliseList(value: string): string | null {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return parts.length === 0 ? null : parts.join(', ');
}

function purlFrom(
  properties: unknown,
): { purl: string; name: string; version: string | null } | null {
  if (!isRecord(properties) || !Array.isArray(properties.purls)) return null;
  for (const value of properties.purls) {
    if (typeof value !== 'string') continue;
    const purl = parsePurl(value);
    if (purl === null) continue;
    const name = purl.namespace ? `${purl.namespace}/${purl.name}` : purl.name;
    return { purl: value, name, version: purl.version ?? null };
  }
  return null;
}
