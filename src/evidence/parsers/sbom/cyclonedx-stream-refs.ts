import type { CdxBom, CdxComponent, CdxNode } from './cyclonedx-shapes.js';
import type { RefDeclarations } from './cyclonedx-summary.js';
import { pointers, pointersFrom } from './cyclonedx-tree.js';

/**
 * Where a ref was first declared: the index of a top-level component (the usual case, a
 * small integer), the pointer of a nested component, or the node itself for the root's
 * tree and the services, which stay in memory with the rest of the document's shell.
 */
type Declaration = number | string | CdxNode;

/**
 * Declared bom-refs for the streaming parser, which holds one top-level component at a time:
 * each ref keeps enough to name its first declaration once that component is gone. The
 * driver says which part of the document is being summarised.
 */
export class StreamRefs implements RefDeclarations {
  readonly #declared = new Map<string, Declaration>();
  readonly #shell: CdxBom;
  #top: CdxComponent | undefined;
  #topIndex = -1;
  /** Pointers of the current top-level component's nested components, built on demand. */
  #nested: Map<CdxNode, string> | undefined;
  #shellPointers: Map<CdxNode, string> | undefined;

  /** `shell`: the document's metadata and services (its streamed arrays left out). */
  constructor(shell: CdxBom) {
    this.#shell = shell;
  }

  /** The top-level component at `index` is being summarised (with its nested ones). */
  enterComponent(index: number, node: CdxComponent): void {
    this.#top = node;
    this.#topIndex = index;
    this.#nested = undefined;
  }

  /** The root's tree or the services are being summarised. */
  leaveComponents(): void {
    this.#top = undefined;
    this.#nested = undefined;
  }

  add(ref: string, node: CdxNode): boolean {
    if (this.#declared.has(ref)) return false;
    this.#declared.set(ref, this.#declarationOf(node));
    return true;
  }

  has(ref: string): boolean {
    return this.#declared.has(ref);
  }

  locate(node: CdxNode, ref: string): [string, string] {
    return [
      this.#pointer(this.#declarationOf(node)),
      this.#pointer(this.#declared.get(ref) as Declaration),
    ];
  }

  #declarationOf(node: CdxNode): Declaration {
    if (this.#top === undefined) return node;
    if (node === this.#top) return this.#topIndex;
    this.#nested ??= pointersFrom([[this.#top, `/components/${this.#topIndex}`, 'components']]);
    return this.#nested.get(node) as string;
  }

  #pointer(declaration: Declaration): string {
    if (typeof declaration === 'number') return `/components/${declaration}`;
    if (typeof declaration === 'string') return declaration;
    this.#shellPointers ??= pointers(this.#shell, '');
    return this.#shellPointers.get(declaration) as string;
  }
}
