import { CYCLONEDX_VERSIONS, cycloneDxValidator, isCycloneDxVersion } from './cyclonedx-schema.js';
import { type JsonObject, lowerCase, type ParseContext } from './json-values.js';
import { LicenseCollector } from './licenses.js';
import { checkedPurl } from './purl.js';
import { refuse, reject, validateOrReject } from './sbom-errors.js';
import { buildSummary } from './sbom-summary.js';
import type { ParsedSbom, SbomComponent, SbomRoot, SbomSummary } from './types.js';

// From 1.4 on the spec says every bom-ref MUST be unique; 1.2 and 1.3 only say "should".
const UNIQUE_REF_VERSIONS: ReadonlySet<string> = new Set(['1.4', '1.5', '1.6', '1.7']);
// A BOM-Link points into another BOM, so it is not expected to resolve here.
const BOM_LINK = 'urn:cdx:';

/*
 * The shapes below are what the official schema of every version 1.2–1.7 guarantees once
 * the document has passed it; only the members this parser reads are listed.
 */
interface Node {
  'bom-ref'?: string;
  components?: Component[];
  services?: Node[];
}

interface Component extends Node {
  type: string;
  name: string;
  version?: string;
  purl?: string;
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  hashes?: { alg: string; content: string }[];
}

interface Bom {
  metadata?: { component?: Component };
  vulnerabilities?: unknown[];
  components?: Component[];
  services?: Node[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
}

export function parseCycloneDx(document: JsonObject, context: ParseContext): ParsedSbom {
  const { prefix } = context;
  if (document.bomFormat !== 'CycloneDX') {
    reject(
      'The CycloneDX document',
      [{ path: `${prefix}/bomFormat`, message: 'must be "CycloneDX"' }],
      'unknown_format',
    );
  }
  const version = document.specVersion;
  if (!isCycloneDxVersion(version)) {
    const message =
      version === undefined
        ? 'required property is missing'
        : `unsupported CycloneDX specVersion ${JSON.stringify(version)}; expected one of ${CYCLONEDX_VERSIONS.join(', ')}`;
    reject(
      'The CycloneDX document',
      [{ path: `${prefix}/specVersion`, message }],
      'unsupported_version',
    );
  }
  const what = `The CycloneDX ${version} document`;
  validateOrReject(cycloneDxValidator(version), document, what, prefix);
  const bom = document as Bom;
  const summary = summarize(bom, version, what, context);
  if (summary.component_count === 0 && (bom.vulnerabilities?.length ?? 0) > 0) {
    refuse(
      'This CycloneDX document lists vulnerabilities but no components: it is a VEX or a vulnerability report, not an SBOM. Upload it with kind=vex or kind=vuln_scan.',
      { path: `${prefix}/vulnerabilities`, message: 'vulnerabilities without components' },
      'wrong_kind',
    );
  }
  return {
    format: 'cyclonedx',
    spec_version: version,
    summary,
    warnings: context.warnings.toArray(),
  };
}

/**
 * Pre-order walk of a `components` / `services` tree without recursion (nesting is
 * unbounded), in document order: a node, then its nested nodes, then its next sibling.
 * It allocates nothing per node; pointers are only worked out when a message needs one.
 */
function walk<T extends Node>(
  items: T[] | undefined,
  children: 'components' | 'services',
  visit: (node: T) => void,
) {
  if (items === undefined) return;
  const stack: T[] = [];
  pushReversed(stack, items);
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    visit(node);
    const nested = node[children] as T[] | undefined;
    if (nested !== undefined) pushReversed(stack, nested);
  }
}

function pushReversed<T>(stack: T[], items: T[]) {
  for (let index = items.length - 1; index >= 0; index -= 1) stack.push(items[index] as T);
}

/**
 * Every node that can declare a bom-ref, in the order summarize declares them: the root and
 * its nested components, then the components tree, then the services tree.
 */
function forEachDeclaring(bom: Bom, visit: (node: Node) => void) {
  const root = bom.metadata?.component;
  if (root !== undefined) {
    visit(root);
    walk(root.components, 'components', visit);
  }
  walk(bom.components, 'components', visit);
  walk(bom.services, 'services', visit);
}

/** The node that declared `ref` first (only looked up for an error message). */
function firstDeclaring(bom: Bom, ref: string): Node {
  let first: Node | undefined;
  forEachDeclaring(bom, (node) => {
    if (first === undefined && node['bom-ref'] === ref) first = node;
  });
  return first as Node;
}

/** JSON pointers of every node that can carry a bom-ref (only built for an error message). */
function pointers(bom: Bom, prefix: string): Map<Node, string> {
  const found = new Map<Node, string>();
  const pending: [Node, string, 'components' | 'services'][] = [];
  const add = (list: Node[] | undefined, path: string, key: 'components' | 'services') => {
    list?.forEach((node, index) => {
      pending.push([node, `${path}/${key}/${index}`, key]);
    });
  };
  const root = bom.metadata?.component;
  if (root !== undefined) {
    found.set(root, `${prefix}/metadata/component`);
    add(root.components, `${prefix}/metadata/component`, 'components');
  }
  add(bom.components, prefix, 'components');
  add(bom.services, prefix, 'services');
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, path, key] = next;
    found.set(node, path);
    add(node[key], path, key);
  }
  return found;
}

function summarize(bom: Bom, version: string, what: string, context: ParseContext): SbomSummary {
  const { warnings, prefix } = context;
  const declared = new Set<string>();
  const declareRef = (node: Node) => {
    const ref = node['bom-ref'];
    if (ref === undefined) return;
    // One hash lookup instead of has + add: an unchanged size means the ref was declared.
    const before = declared.size;
    declared.add(ref);
    if (declared.size !== before) return;
    if (UNIQUE_REF_VERSIONS.has(version)) {
      const at = pointers(bom, prefix);
      reject(
        what,
        [
          {
            path: `${at.get(node)}/bom-ref`,
            message: `bom-ref ${JSON.stringify(ref)} is already used by ${at.get(firstDeclaring(bom, ref))}`,
          },
        ],
        'invalid_structure',
      );
    }
    warnings.tally(
      'cdx-duplicate-ref',
      ref,
      (count, examples) =>
        `bom-refs declared more than once (CycloneDX ${version} only recommends uniqueness; references to them are ambiguous): ${count} (${examples})`,
    );
  };
  const rootNode = bom.metadata?.component;
  let root: SbomRoot | null = null;
  if (rootNode !== undefined) {
    root = {
      name: rootNode.name,
      version: rootNode.version ?? null,
      purl: checkedPurl(rootNode.purl, warnings),
    };
    declareRef(rootNode);
    walk(rootNode.components, 'components', declareRef);
  }
  const licences = new LicenseCollector();
  const components: SbomComponent[] = [];
  // The walk below, written out for the one tree that can hold 10k+ nodes.
  const pending: Component[] = [];
  if (bom.components !== undefined) pushReversed(pending, bom.components);
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    declareRef(node);
    components.push(toComponent(node, licences, warnings));
    if (node.components !== undefined) pushReversed(pending, node.components);
  }
  walk(bom.services, 'services', declareRef);

  const rootRef = rootNode?.['bom-ref'] ?? null;
  const rootDependsOn = dependencyGraph(bom.dependencies, rootRef, declared, context);
  const hasDependencyGraph = (bom.dependencies?.length ?? 0) > 0;
  if (hasDependencyGraph && rootDependsOn === null) {
    warnings.add(
      rootNode === undefined
        ? 'The BOM has a dependency graph but no metadata.component (root), so no dependency counts as direct.'
        : rootRef === null
          ? 'metadata.component has no bom-ref, so the dependency graph cannot say what the root depends on; no dependency counts as direct.'
          : 'The dependency graph has no entry for metadata.component, so no dependency counts as direct.',
    );
  }
  return buildSummary({
    components,
    directRefs: rootDependsOn ?? new Set(),
    root,
    hasDependencyGraph,
    licences,
    warnings,
  });
}

/**
 * Checks that every reference of the graph resolves, and returns what the root depends on
 * (repeated entries for one ref are merged), or null when the graph has no entry for it.
 */
function dependencyGraph(
  dependencies: Bom['dependencies'],
  rootRef: string | null,
  declared: ReadonlySet<string>,
  { warnings }: ParseContext,
): Set<string> | null {
  if (dependencies === undefined) return null;
  const seen = new Set<string>();
  let root: Set<string> | null = null;
  const checkResolves = (ref: string) => {
    if (declared.has(ref) || ref.startsWith(BOM_LINK)) return;
    warnings.tally(
      'cdx-dangling-ref',
      ref,
      (count, examples) =>
        `Dependency references naming no component or service of this BOM: ${count} (${examples})`,
    );
  };
  for (const { ref, dependsOn } of dependencies) {
    const before = seen.size;
    seen.add(ref);
    if (seen.size === before) {
      warnings.tally(
        'cdx-repeated-dependency',
        ref,
        (count, examples) => `Dependency entries repeating a ref, merged: ${count} (${examples})`,
      );
    } else {
      checkResolves(ref);
    }
    if (dependsOn === undefined) {
      // An entry for the root without dependsOn still says the root depends on nothing.
      if (ref === rootRef) root ??= new Set();
      continue;
    }
    for (const target of dependsOn) checkResolves(target);
    if (ref === rootRef) {
      root ??= new Set();
      for (const target of dependsOn) root.add(target);
    }
  }
  return root;
}

function toComponent(
  node: Component,
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
function licenceValues(choices: LicenceChoice[], licences: LicenseCollector): string[] {
  if (choices.length === 1) {
    const value = licenceValue(choices[0] as LicenceChoice, licences);
    return value === null ? [] : [value];
  }
  const found: string[] = [];
  for (const choice of choices) {
    const value = licenceValue(choice, licences);
    if (value !== null && !found.includes(value)) found.push(value);
  }
  return found;
}

type LicenceChoice = NonNullable<Component['licenses']>[number];

function licenceValue(choice: LicenceChoice, licences: LicenseCollector): string | null {
  // The schema guarantees exactly one of expression / license, and id or name on a license.
  return 'expression' in choice
    ? licences.addExpression(choice.expression)
    : licences.addName((choice.license.id ?? choice.license.name) as string);
}
