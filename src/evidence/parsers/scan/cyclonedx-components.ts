import { PackageURL } from 'packageurl-js';
import { isRecord, type JsonRecord, nonEmptyString } from './doc-reader.js';

export interface ComponentInfo {
  name: string | null;
  version: string | null;
  purl: string | null;
}

/**
 * bom-ref → component, over `metadata.component` and every nested `components[]` entry.
 * Iterative so a deeply nested (or hostile) BOM cannot overflow the stack.
 */
export function indexComponents(doc: JsonRecord): Map<string, ComponentInfo> {
  const index = new Map<string, ComponentInfo>();
  const stack: unknown[] = [];
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  stack.push(metadata.component);
  if (Array.isArray(doc.components)) stack.push(...doc.components);
  while (stack.length > 0) {
    const component = stack.pop();
    if (!isRecord(component)) continue;
    const ref = nonEmptyString(component['bom-ref']);
    if (ref !== null && !index.has(ref)) {
      index.set(ref, {
        name: nonEmptyString(component.name),
        version: nonEmptyString(component.version),
        purl: nonEmptyString(component.purl),
      });
    }
    if (Array.isArray(component.components)) stack.push(...component.components);
  }
  return index;
}

/**
 * Resolves an `affects[].ref`: a local bom-ref, a BOM-Link (`urn:cdx:serial/version#ref`)
 * into this same document, or a ref that is itself a purl. Null when none applies.
 */
export function resolveRef(
  ref: string,
  index: Map<string, ComponentInfo>,
  serialNumber: unknown,
): ComponentInfo | null {
  const local = index.get(ref);
  if (local !== undefined) return local;
  const link = /^urn:cdx:([^/#]+)\/[^#]*#(.+)$/.exec(ref);
  if (link !== null && serialNumber === `urn:uuid:${link[1]}`) {
    const target = index.get(decodeURIComponent(link[2]!));
    if (target !== undefined) return target;
  }
  if (ref.startsWith('pkg:')) {
    const purl = parsePurl(ref);
    if (purl !== null) {
      const name = purl.namespace ? `${purl.namespace}/${purl.name}` : purl.name;
      return { name, version: purl.version ?? null, purl: ref };
    }
  }
  return null;
}

export function parsePurl(value: string): PackageURL | null {
  try {
    return PackageURL.fromString(value);
  } catch {
    return null;
  }
}

/** Tool name and version from `metadata.tools`: the 1.4 array form or the 1.5+ object form. */
export function cycloneDxTool(doc: JsonRecord): { name: string | null; version: string | null } {
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const tools = metadata.tools;
  const list: unknown[] = Array.isArray(tools)
    ? tools
    : isRecord(tools)
      ? [
          ...(Array.isArray(tools.components) ? tools.components : []),
          ...(Array.isArray(tools.services) ? tools.services : []),
        ]
      : [];
  for (const tool of list) {
    if (!isRecord(tool)) continue;
    const name = nonEmptyString(tool.name);
    if (name !== null) return { name, version: nonEmptyString(tool.version) };
  }
  return { name: null, version: null };
}
