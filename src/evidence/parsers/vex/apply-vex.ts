import type { Finding } from '../scan/types.js';
import { type ProductKey, productKey, productMatches, purlIdentity } from './product-match.js';
import type { VexStatement } from './types.js';

export interface SuppressedFinding {
  finding_id: string;
  status: string;
  vulnerability_id: string;
}

export interface VexApplication {
  remaining: Finding[];
  suppressed: SuppressedFinding[];
}

/** Only these statuses remove a finding from what scoring and policy see (DESIGN, risk model). */
const SUPPRESSING = new Set(['not_affected', 'fixed']);

/**
 * Removes the findings that a `not_affected` or `fixed` statement covers: same vulnerability
 * id (case-insensitive: `cve-…` and `CVE-…` are one CVE) and either no products (the statement
 * covers every product) or a product that names the finding. Vulnerability aliases (a GHSA
 * statement against a CVE finding) are not followed. Pure, linear in findings + statements.
 */
export function applyVex(
  findings: readonly Finding[],
  statements: readonly VexStatement[],
): VexApplication {
  const byVuln = new Map<string, { status: string; products: ProductKey[] }[]>();
  for (const statement of statements) {
    if (!SUPPRESSING.has(statement.status)) continue;
    const key = statement.vulnerability_id.toUpperCase();
    const list = byVuln.get(key) ?? [];
    list.push({ status: statement.status, products: statement.products.map(productKey) });
    byVuln.set(key, list);
  }
  const remaining: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const candidates = byVuln.get(finding.vulnerability_id.toUpperCase());
    const match = candidates === undefined ? undefined : covering(candidates, finding);
    if (match === undefined) {
      remaining.push(finding);
    } else {
      suppressed.push({
        finding_id: finding.id,
        status: match.status,
        vulnerability_id: finding.vulnerability_id,
      });
    }
  }
  return { remaining, suppressed };
}

function covering(
  candidates: { status: string; products: ProductKey[] }[],
  finding: Finding,
): { status: string } | undefined {
  const findingPurl = finding.purl === null ? null : purlIdentity(finding.purl);
  return candidates.find(
    (c) =>
      c.products.length === 0 || c.products.some((p) => productMatches(p, finding, findingPurl)),
  );
}
