import { quote } from '../../../platform/text/quote.js';
import {
  CYCLONEDX_VERSIONS,
  type CycloneDxVersion,
  cycloneDxValidator,
  isCycloneDxVersion,
} from './cyclonedx-schema.js';
import type { CdxBom, CdxNode } from './cyclonedx-shapes.js';
import { CycloneDxSummarizer, type RefDeclarations } from './cyclonedx-summary.js';
import { firstDeclaring, pointers } from './cyclonedx-tree.js';
import type { JsonObject, ParseContext } from './json-values.js';
import { reject, validateOrReject } from './sbom-errors.js';
import type { ParsedSbom } from './types.js';

export function parseCycloneDx(document: JsonObject, context: ParseContext): ParsedSbom {
  const { prefix } = context;
  const version = cycloneDxVersionOf(document, prefix);
  validateOrReject(cycloneDxValidator(version), document, describe(version), prefix);
  const bom = document as CdxBom;
  const summarizer = new CycloneDxSummarizer(version, context, new DocumentRefs(bom, prefix));
  summarizer.root(bom.metadata?.component);
  const { components, services, dependencies } = bom;
  if (components !== undefined) for (const node of components) summarizer.component(node);
  if (services !== undefined) for (const node of services) summarizer.service(node);
  if (dependencies !== undefined) for (const entry of dependencies) summarizer.dependency(entry);
  return summarizer.finish(bom.vulnerabilities?.length ?? 0);
}

/** How error messages name a document of this version. */
export function describe(version: CycloneDxVersion): string {
  return `The CycloneDX ${version} document`;
}

/**
 * The specVersion of a document that says it is CycloneDX (only bomFormat and specVersion
 * are read).
 *
 * @throws InvalidDocumentError for another bomFormat or an unsupported specVersion.
 */
export function cycloneDxVersionOf(
  document: { bomFormat?: unknown; specVersion?: unknown },
  prefix: string,
): CycloneDxVersion {
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
        : `unsupported CycloneDX specVersion ${quote(version)}; expected one of ${CYCLONEDX_VERSIONS.join(', ')}`;
    reject(
      'The CycloneDX document',
      [{ path: `${prefix}/specVersion`, message }],
      'unsupported_version',
    );
  }
  return version;
}

/** Declared refs as a Set: the whole tree is at hand to work out pointers for a message. */
class DocumentRefs implements RefDeclarations {
  readonly #declared = new Set<string>();
  readonly #bom: CdxBom;
  readonly #prefix: string;

  constructor(bom: CdxBom, prefix: string) {
    this.#bom = bom;
    this.#prefix = prefix;
  }

  add(ref: string): boolean {
    // One hash lookup instead of has + add: an unchanged size means the ref was declared.
    const before = this.#declared.size;
    this.#declared.add(ref);
    return this.#declared.size !== before;
  }

  has(ref: string): boolean {
    return this.#declared.has(ref);
  }

  locate(node: CdxNode, ref: string): [string, string] {
    const at = pointers(this.#bom, this.#prefix);
    return [at.get(node) as string, at.get(firstDeclaring(this.#bom, ref) as CdxNode) as string];
  }
}
