import { createRequire } from 'node:module';

/** The AST spdx-expression-parse returns. */
export type LicenseNode =
  | { license: string; plus?: boolean; exception?: string }
  | { left: LicenseNode; conjunction: 'and' | 'or'; right: LicenseNode };

// spdx-expression-parse ships no types; loading it through require keeps the typing local.
const requireCjs = createRequire(import.meta.url);
const parseExpression = requireCjs('spdx-expression-parse') as (source: string) => LicenseNode;

/** The parsed expression, or null when it is not a valid SPDX licence expression. */
export function parseLicenseExpression(expression: string): LicenseNode | null {
  try {
    return parseExpression(expression);
  } catch {
    return null;
  }
}

/**
 * The licence ids inside an SPDX expression, in order of first appearance, without
 * duplicates: `(MIT OR GPL-2.0-only WITH Classpath-exception-2.0)` → `['MIT', 'GPL-2.0-only']`.
 * Exceptions are not licences and are left out; `GPL-2.0+` keeps its `+` because it means
 * "or later"; `LicenseRef-…` ids are included. An unparseable expression yields `[]`: the
 * caller still holds the raw text and decides how to treat it.
 */
export function licenseIdsOf(expression: string): string[] {
  const root = parseLicenseExpression(expression);
  if (root === null) return [];
  const ids = new Set<string>();
  const pending: LicenseNode[] = [root];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if ('license' in node) {
      ids.add(node.plus === true ? `${node.license}+` : node.license);
    } else {
      // Right first so that popping visits the left operand first (document order).
      pending.push(node.right, node.left);
    }
  }
  return [...ids];
}

/**
 * Collects the licence strings of one SBOM, validating each distinct expression once:
 * real SBOMs repeat a handful of expressions across thousands of components.
 */
export class LicenseCollector {
  readonly #all = new Set<string>();
  readonly #validity = new Map<string, boolean>();
  readonly #invalid: string[] = [];

  /** Records a licence id or name (taken as is). */
  addName(name: string): string | null {
    const value = name.trim();
    if (value === '') return null;
    this.#all.add(value);
    return value;
  }

  /** Records an SPDX expression; an unparseable one is kept verbatim and reported. */
  addExpression(expression: string): string | null {
    const value = this.addName(expression);
    if (value === null) return null;
    let valid = this.#validity.get(value);
    if (valid === undefined) {
      valid = parseLicenseExpression(value) !== null;
      this.#validity.set(value, valid);
      if (!valid) this.#invalid.push(value);
    }
    return value;
  }

  /** Sorted by code unit so the set is byte-identical on every machine. */
  sorted(): string[] {
    return [...this.#all].sort();
  }

  /** Distinct expressions that did not parse, in order of first appearance. */
  invalidExpressions(): string[] {
    return this.#invalid;
  }
}
