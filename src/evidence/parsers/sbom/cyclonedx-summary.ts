import { quote } from '../../../platform/text/quote.js';
import type { CycloneDxVersion } from './cyclonedx-schema.js';
import type { CdxComponent, CdxDependency, CdxLicenceChoice, CdxNode } from './cyclonedx-shapes.js';
import { pushReversed, walk } from './cyclonedx-tree.js';
import { lowerCase, type ParseContext } from './json-values.js';
import { LicenseCollector } from './licenses.js';
import { checkedPurl } from './purl.js';
import { refuse, reject } from './sbom-errors.js';
import { buildSummary } from './sbom-summary.js';
import type { ParsedSbom, SbomComponent, SbomRoot } from './types.js';

// From 1.4 on the spec says every bom-ref MUST be unique; 1.2 and 1.3 only say "should".
const UNIQUE_REF_VERSIONS: ReadonlySet<string> = new Set(['1.4', '1.5', '1.6', '1.7']);
// A BOM-Link points into another BOM, so it is not expected to resolve here.
const BOM_LINK = 'urn:cdx:';

/**
 * The bom-refs declared so far, and where: the whole-document parser has the tree at hand to
 * work pointers out when a message needs them, the streaming one records enough to name a
 * declaration it no longer holds.
 */
export interface RefDeclarations {
  /** Records `ref` as declared by `node`; false when it was declared before. */
  add(ref: string, node: CdxNode): boolean;
  has(ref: string): boolean;
  /** JSON pointers of `node`, which repeats `ref`, and of the first declaration of `ref`. */
  locate(node: CdxNode, ref: string): [string, string];
}

/**
 * The summary of a valid CycloneDX document, fed its parts in the order the summary
 * depends on: the root (metadata.component), every top-level component in document order,
 * every top-level service, then every dependency entry; then finished. Both the whole-
 * document parser and the streaming one drive it, so they cannot disagree. Each part must
 * have passed its schema: the shapes of cyclonedx-shapes.ts are assumed.
 *
 * @throws InvalidDocumentError (from any step) for a repeated bom-ref from 1.4 on, and from
 *   finish for a document that is a VEX or vulnerability report rather than an SBOM.
 */
export class CycloneDxSummarizer {
  readonly #version: CycloneDxVersion;
  readonly #context: ParseContext;
  readonly #refs: RefDeclarations;
  readonly #licences = new LicenseCollector();
  readonly #components: SbomComponent[] = [];
  /** The walk's stack, kept between components. */
  readonly #pending: CdxComponent[] = [];
  #rootNode: CdxComponent | undefined;
  #root: SbomRoot | null = null;
  // The dependency graph.
  readonly #dependencyRefs = new Set<string>();
  #dependencyCount = 0;
  /** What the root depends on (repeated entries merged), null without an entry for it. */
  #rootDependsOn: Set<string> | null = null;

  constructor(version: CycloneDxVersion, context: ParseContext, refs: RefDeclarations) {
    this.#version = version;
    this.#context = context;
    this.#refs = refs;
  }

  root(node: CdxComponent | undefined): void {
    if (node === undefined) return;
    this.#rootNode = node;
    this.#root = {
      name: node.name,
      version: node.version ?? null,
      purl: checkedPurl(node.purl, this.#context.warnings),
    };
    this.#declare(node);
    walk(node.components, 'components', (nested) => this.#declare(nested));
  }

  /** A top-level component, then its nested components (pre-order, document order). */
  component(node: CdxComponent): void {
    this.#count(node);
    if (node.components === undefined) return;
    const pending = this.#pending;
    pushReversed(pending, node.components);
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      this.#count(next);
      if (next.components !== undefined) pushReversed(pending, next.components);
    }
  }

  /** A top-level service, then its nested services. */
  service(node: CdxNode): void {
    this.#declare(node);
    walk(node.services, 'services', (nested) => this.#declare(nested));
  }

  /**
   * One entry of the graph: its references must resolve (or are tallied), and repeated
   * entries for one ref are merged.
   */
  dependency({ ref, dependsOn }: CdxDependency): void {
    this.#dependencyCount += 1;
    const seen = this.#dependencyRefs;
    const before = seen.size;
    seen.add(ref);
    if (seen.size === before) {
      this.#context.warnings.tally(
        'cdx-repeated-dependency',
        ref,
        (count, examples) => `Dependency entries repeating a ref, merged: ${count} (${examples})`,
      );
    } else {
      this.#checkResolves(ref);
    }
    const isRoot = this.#rootNode !== undefined && ref === this.#rootNode['bom-ref'];
    // An entry for the root without dependsOn still says the root depends on nothing.
    if (isRoot) this.#rootDependsOn ??= new Set();
    if (dependsOn === undefined) return;
    for (const target of dependsOn) this.#checkResolves(target);
    if (isRoot) for (const target of dependsOn) this.#rootDependsOn?.add(target);
  }

  /** The parsed SBOM; `vulnerabilities` is the length of the document's vulnerabilities. */
  finish(vulnerabilities: number): ParsedSbom {
    const { warnings, prefix } = this.#context;
    const rootNode = this.#rootNode;
    const hasDependencyGraph = this.#dependencyCount > 0;
    if (hasDependencyGraph && this.#rootDependsOn === null) {
      warnings.add(
        rootNode === undefined
          ? 'The BOM has a dependency graph but no metadata.component (root), so no dependency counts as direct.'
          : rootNode['bom-ref'] === undefined
            ? 'metadata.component has no bom-ref, so the dependency graph cannot say what the root depends on; no dependency counts as direct.'
            : 'The dependency graph has no entry for metadata.component, so no dependency counts as direct.',
      );
    }
    const summary = buildSummary({
      components: this.#components,
      directRefs: this.#rootDependsOn ?? new Set(),
      root: this.#root,
      hasDependencyGraph,
      licences: this.#licences,
      warnings,
    });
    if (summary.component_count === 0 && vulnerabilities > 0) {
      refuse(
        'This CycloneDX document lists vulnerabilities but no components: it is a VEX or a vulnerability report, not an SBOM. Upload it with kind=vex or kind=vuln_scan.',
        { path: `${prefix}/vulnerabilities`, message: 'vulnerabilities without components' },
        'wrong_kind',
      );
    }
    return {
      format: 'cyclonedx',
      spec_version: this.#version,
      summary,
      warnings: warnings.toArray(),
    };
  }

  #count(node: CdxComponent) {
    this.#declare(node);
    this.#components.push(toComponent(node, this.#licences, this.#context.warnings));
  }

  #declare(node: CdxNode) {
    const ref = node['bom-ref'];
    if (ref === undefined || this.#refs.add(ref, node)) return;
    const version = this.#version;
    if (UNIQUE_REF_VERSIONS.has(version)) {
      const [at, first] = this.#refs.locate(node, ref);
      reject(
        `The CycloneDX ${version} document`,
        [
          {
            path: `${at}/bom-ref`,
            message: `bom-ref ${quote(ref)} is already used by ${first}`,
          },
        ],
        'invalid_structure',
      );
    }
    this.#context.warnings.tally(
      'cdx-duplicate-ref',
      ref,
      (count, examples) =>
        `bom-refs declared more than once (CycloneDX ${version} only recommends uniqueness; references to them are ambiguous): ${count} (${examples})`,
    );
  }

  #checkResolves(ref: string) {
    if (this.#refs.has(ref) || ref.startsWith(BOM_LINK)) return;
    this.#context.warnings.tally(
      'cdx-dangling-ref',
      ref,
      (count, examples) =>
        `Dependency references naming no component or service of this BOM: ${count} (${examples})`,
    );
  }
}

function toComponent(
  node: CdxComponent,
  licences: LicenseCollector,
  warnings: ParseContext['warnings'],
): SbomComponent {
  return {
    ref: node['bom-ref'] ?? null,
    name: node.name,
    version: node.version ?? null,
    purl: checkedPurl(node.purl, warnings),
    licenses: node.licenses === undefined ? [] : licenceValues(node.licenses, licences),
    hashes: node.hashes === undefined ? [] : node.hashes.map(lowerCaseHash),
    type: node.type,
  };
}

function lowerCaseHash({ alg, content }: { alg: string; content: string }) {
  return { alg, content: lowerCase(content) };
}

/**
 * A component's licence strings, each once, in order. Most components have exactly one: an
 * array literal of one is a fifth of the size `[]` grows to on its first push.
 */
function licenceValues(choices: CdxLicenceChoice[], licences: LicenseCollector): string[] {
  if (choices.length === 1) {
    const value = licenceValue(choices[0] as CdxLicenceChoice, licences);
    return value === null ? [] : [value];
  }
  const found: string[] = [];
  for (const choice of choices) {
    const value = licenceValue(choice, licences);
    if (value !== null && !found.includes(value)) found.push(value);
  }
  return found;
}

function licenceValue(choice: CdxLicenceChoice, licences: LicenseCollector): string | null {
  // The schema guarantees exactly one of expression / license, and id or name on a license.
  return 'expression' in choice
    ? licences.addExpression(choice.expression)
    : licences.addName((choice.license.id ?? choice.license.name) as string);
}
