import type { CdxBom, CdxNode } from './cyclonedx-shapes.js';

export type NestingKey = 'components' | 'services';

export function pushReversed<T>(stack: T[], items: readonly T[]) {
  for (let index = items.length - 1; index >= 0; index -= 1) stack.push(items[index] as T);
}

/**
 * Pre-order walk of a `components` / `services` tree without recursion (nesting is
 * unbounded), in document order: a node, then its nested nodes, then its next sibling.
 * It allocates nothing per node; pointers are only worked out when a message needs one.
 */
export function walk<T extends CdxNode>(
  items: readonly T[] | undefined,
  children: NestingKey,
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

/**
 * Every node that can declare a bom-ref, in the order the summary declares them: the root
 * and its nested components, then the components tree, then the services tree.
 */
function forEachDeclaring(bom: CdxBom, visit: (node: CdxNode) => void) {
  const root = bom.metadata?.component;
  if (root !== undefined) {
    visit(root);
    walk(root.components, 'components', visit);
  }
  walk(bom.components, 'components', visit);
  walk(bom.services, 'services', visit);
}

/** The node that declared `ref` first (only looked up for an error message). */
export function firstDeclaring(bom: CdxBom, ref: string): CdxNode | undefined {
  let first: CdxNode | undefined;
  forEachDeclaring(bom, (node) => {
    if (first === undefined && node['bom-ref'] === ref) first = node;
  });
  return first;
}

/**
 * JSON pointers of nodes that can carry a bom-ref, from the given tops (only built for an
 * error message): each top's pointer, then its nested nodes under it.
 */
export function pointersFrom(
  tops: readonly [CdxNode, string, NestingKey][],
  found = new Map<CdxNode, string>(),
): Map<CdxNode, string> {
  const pending = [...tops];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, path, key] = next;
    found.set(node, path);
    node[key]?.forEach((child, index) => {
      pending.push([child, `${path}/${key}/${index}`, key]);
    });
  }
  return found;
}

/** JSON pointers of every node of the document that can carry a bom-ref. */
export function pointers(bom: CdxBom, prefix: string): Map<CdxNode, string> {
  const tops: [CdxNode, string, NestingKey][] = [];
  const root = bom.metadata?.component;
  if (root !== undefined) tops.push([root, `${prefix}/metadata/component`, 'components']);
  bom.components?.forEach((node, index) => {
    tops.push([node, `${prefix}/components/${index}`, 'components']);
  });
  bom.services?.forEach((node, index) => {
    tops.push([node, `${prefix}/services/${index}`, 'services']);
  });
  return pointersFrom(tops);
}
