import type { LicenseCollector } from './licenses.js';
import type { SbomComponent, SbomRoot, SbomSummary } from './types.js';
import type { Warnings } from './warnings.js';

export interface SummaryParts {
  /** The counted components, in document order. */
  components: SbomComponent[];
  /** Refs (bom-ref / SPDXID) the root depends on directly; only those of counted components count. */
  directRefs: ReadonlySet<string>;
  root: SbomRoot | null;
  hasDependencyGraph: boolean;
  licences: LicenseCollector;
  warnings: Warnings;
}

/** The format-independent half of the contract: counts, licence set, licence warnings. */
export function buildSummary(parts: SummaryParts): SbomSummary {
  const { components, directRefs, licences, warnings } = parts;
  // Distinct refs: under CycloneDX 1.2/1.3 two components may share one (with a warning).
  const direct = new Set<string>();
  for (const { ref } of components) if (ref !== null && directRefs.has(ref)) direct.add(ref);
  for (const expression of licences.invalidExpressions()) {
    warnings.tally(
      'invalid-license-expression',
      expression,
      (count, examples) =>
        `Licence expressions that are not valid SPDX expressions, kept as written: ${count} (${examples})`,
    );
  }
  return {
    component_count: components.length,
    direct_dependency_count: direct.size,
    transitive_dependency_count: components.length - direct.size,
    licenses: licences.sorted(),
    components,
    root: parts.root,
    has_dependency_graph: parts.hasDependencyGraph,
  };
}
