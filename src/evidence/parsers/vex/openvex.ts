import { quote } from '../../../platform/text/quote.js';
import {
  arrayAt,
  isRecord,
  type JsonRecord,
  nonEmptyString,
  type PathSegments,
  Problems,
} from '../scan/doc-reader.js';
import type { VexReadResult, VexStatus } from './types.js';

const STATUSES: readonly VexStatus[] = ['not_affected', 'affected', 'fixed', 'under_investigation'];

/**
 * OpenVEX (v0.0.x and v0.2.x): `statements[]` with `vulnerability` (a string, or an object
 * with `name` / `@id`), `products[]` (strings, or objects with `@id`, `identifiers.purl` and
 * `subcomponents[]`), `status` and `justification`. Subcomponents are listed as products too:
 * they are the packages a scan reports, inside the product the statement is about.
 */
export function readOpenVex(doc: JsonRecord): VexReadResult {
  const problems = new Problems();
  // Detection guarantees a string @context: `https://openvex.dev/ns/v0.2.0` or bare `…/ns`.
  const version = /\/v(\d+\.\d+\.\d+)/.exec(String(doc['@context']));
  if (doc.statements === undefined || doc.statements === null) {
    problems.add(['statements'], 'is required (an array of VEX statements)');
  }
  const statements: VexReadResult['statements'] = [];
  arrayAt(doc, 'statements', [], problems).forEach((statement, s) => {
    const path = ['statements', s];
    if (!isRecord(statement)) {
      problems.add(path, 'must be an object');
      return;
    }
    const id = vulnerabilityName(statement.vulnerability);
    if (id === null) {
      problems.add([...path, 'vulnerability'], 'must be a string or an object with a name');
    }
    const status = STATUSES.find((candidate) => candidate === statement.status);
    if (status === undefined) {
      problems.add(
        [...path, 'status'],
        `must be one of ${STATUSES.join(', ')}, got ${quote(statement.status ?? null)}`,
      );
    }
    const products: string[] = [];
    collectProducts(
      arrayAt(statement, 'products', path, problems),
      [...path, 'products'],
      products,
      problems,
    );
    // v0.0.1 put subcomponents beside products.
    collectProducts(
      arrayAt(statement, 'subcomponents', path, problems),
      [...path, 'subcomponents'],
      products,
      problems,
    );
    if (id === null || status === undefined) return;
    statements.push({
      vulnerability_id: id,
      products,
      status,
      justification: nonEmptyString(statement.justification),
    });
  });
  problems.throwIfAny('The OpenVEX document is structurally invalid.');
  return { spec_version: version === null ? null : version[1]!, statements, warnings: [] };
}

function vulnerabilityName(value: unknown): string | null {
  if (typeof value === 'string') return nonEmptyString(value);
  if (!isRecord(value)) return null;
  return nonEmptyString(value.name) ?? nonEmptyString(value['@id']);
}

function collectProducts(
  entries: unknown[],
  path: PathSegments,
  into: string[],
  problems: Problems,
): void {
  entries.forEach((entry, p) => {
    const id = productId(entry);
    if (id === null) {
      problems.add([...path, p], 'must be a string or an object with @id or identifiers.purl');
      return;
    }
    if (!into.includes(id)) into.push(id);
    if (isRecord(entry) && Array.isArray(entry.subcomponents)) {
      collectProducts(entry.subcomponents, [...path, p, 'subcomponents'], into, problems);
    }
  });
}

/** The purl identifier when given (the `@id` may be any IRI), else the `@id`. */
function productId(entry: unknown): string | null {
  if (typeof entry === 'string') return nonEmptyString(entry);
  if (!isRecord(entry)) return null;
  const identifiers = isRecord(entry.identifiers) ? entry.identifiers : {};
  return nonEmptyString(identifiers.purl) ?? nonEmptyString(entry['@id']);
}
