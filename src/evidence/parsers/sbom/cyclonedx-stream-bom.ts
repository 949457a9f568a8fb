import type { ValidateFunction } from 'ajv';
import { InvalidDocumentError } from '../../../platform/errors.js';
import type { JsonSlice } from '../json-stream/object-splitter.js';
import {
  type CycloneDxVersion,
  cycloneDxItemValidator,
  cycloneDxValidator,
  type StreamedArray,
} from './cyclonedx-schema.js';
import type { CdxBom, CdxComponent, CdxDependency } from './cyclonedx-shapes.js';
import { StreamRefs } from './cyclonedx-stream-refs.js';
import { type ArrayProblems, validateWithStandIns } from './cyclonedx-stream-reject.js';
import { CycloneDxSummarizer } from './cyclonedx-summary.js';
import type { JsonObject } from './json-values.js';
import { NotStreamable } from './stream-pass.js';
import { StreamUniqueItems } from './stream-unique-items.js';
import type { ParsedSbom } from './types.js';
import { Warnings } from './warnings.js';

/** Gives a streamed array's items again: `visit` each wanted index in order, until it returns true. */
export type ReadItems = (
  array: StreamedArray,
  wanted: ReadonlySet<number>,
  visit: (index: number, item: unknown) => boolean,
) => void;

/**
 * Validation of the shell with the failing items passed although an item or a member had
 * failed alone: never expected, and the caller falls back to the whole-document parser.
 */
export class StandInMismatch extends NotStreamable {}

/** A schema's verdict; a RangeError (nesting too deep to validate) counts as a failure. */
function passes(validate: ValidateFunction, value: unknown): boolean {
  try {
    return validate(value);
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/** One streamed array of the document, as its items go by. */
class ArrayState {
  readonly unique = new StreamUniqueItems();
  invalid: [number, unknown] | undefined;

  constructor(
    readonly array: StreamedArray,
    readonly validate: ValidateFunction,
  ) {}

  accepts(item: unknown): boolean {
    return passes(this.validate, item);
  }
}

/**
 * A CycloneDX document of a known version summarised from its shell (the members other than
 * `components` and `dependencies`, already parsed) and its streamed arrays' items, fed one
 * at a time. The summary is built in the order cyclonedx.ts builds it (root, components,
 * services, dependencies): the caller starts an array with `begin` only when that order
 * allows. Items are validated against their definition as they come; the shell and the
 * uniqueness of items are settled by `finish`. Any error that a later part of the document
 * could pre-empt (a bom-ref repeated, while a later item is invalid) waits for `finish`.
 */
export class StreamedBom {
  readonly #version: CycloneDxVersion;
  readonly #shell: JsonObject;
  readonly #refs: StreamRefs;
  readonly #summarizer: CycloneDxSummarizer;
  readonly #arrays = new Map<StreamedArray, ArrayState>();
  #current: ArrayState | undefined;
  #rootDone = false;
  #servicesDone = false;
  /** False once something is known to fail validation: the summary is of no use then. */
  #summarizing = true;
  #summaryError: InvalidDocumentError | undefined;

  constructor(version: CycloneDxVersion, shell: JsonObject) {
    this.#version = version;
    this.#shell = shell;
    this.#refs = new StreamRefs(shell as CdxBom);
    this.#summarizer = new CycloneDxSummarizer(
      version,
      { warnings: new Warnings(), prefix: '' },
      this.#refs,
    );
  }

  /** Whether metadata.component has been summarised: a later `metadata` comes too late. */
  get rootDone(): boolean {
    return this.#rootDone;
  }

  /** Whether the services have been: later `services` or `components` come too late. */
  get servicesDone(): boolean {
    return this.#servicesDone;
  }

  /** A streamed array starts: its items follow, in order. */
  begin(array: StreamedArray): void {
    this.#root();
    if (array === 'dependencies') this.#services();
    const state = new ArrayState(array, cycloneDxItemValidator(this.#version, array));
    this.#arrays.set(array, state);
    this.#current = state;
  }

  /** The next item of the array last begun. */
  item(index: number, slice: JsonSlice): void {
    const item = slice.parse();
    const state = this.#current as ArrayState;
    state.unique.add(index, item);
    if (state.invalid !== undefined) return;
    if (!state.accepts(item)) {
      state.invalid = [index, item];
      this.#summarizing = false;
      return;
    }
    if (!this.#summarizing) return;
    try {
      if (state.array === 'components') {
        this.#refs.enterComponent(index, item as CdxComponent);
        this.#summarizer.component(item as CdxComponent);
      } else {
        this.#summarizer.dependency(item as CdxDependency);
      }
    } catch (error) {
      this.#summaryFailed(error);
    }
  }

  /**
   * Validates the whole document (shell, items, uniqueness across items) and returns the
   * summary, or throws the error the whole-document parser would.
   *
   * @throws StandInMismatch (see there).
   */
  finish(readItems: ReadItems): ParsedSbom {
    const problems: ArrayProblems[] = [];
    for (const { array, unique, invalid } of this.#arrays.values()) {
      const duplicate = unique.settle((wanted, visit) => readItems(array, wanted, visit));
      problems.push({ array, invalid, duplicate: duplicate ?? undefined });
    }
    validateWithStandIns(this.#version, this.#shell, problems);
    if (!this.#summarizing && this.#summaryError === undefined) throw new StandInMismatch();
    if (this.#summaryError !== undefined) throw this.#summaryError;
    if (!this.#rootDone) {
      this.#rootDone = true;
      this.#summarizeRoot();
    }
    if (!this.#servicesDone) {
      this.#servicesDone = true;
      this.#summarizeServices();
    }
    const { vulnerabilities } = this.#shell as { vulnerabilities?: unknown[] };
    return this.#summarizer.finish(vulnerabilities?.length ?? 0);
  }

  /** metadata.component, once, if the metadata passes its schema (else nothing is summarised). */
  #root() {
    if (this.#rootDone) return;
    this.#rootDone = true;
    if (!this.#passes('metadata')) {
      this.#summarizing = false;
      return;
    }
    this.#summarize(() => this.#summarizeRoot());
  }

  #summarizeRoot() {
    this.#refs.leaveComponents();
    this.#summarizer.root((this.#shell as CdxBom).metadata?.component);
  }

  /** The services, once, after every component, if they pass their schema. */
  #services() {
    if (this.#servicesDone) return;
    this.#servicesDone = true;
    if (!this.#passes('services')) {
      this.#summarizing = false;
      return;
    }
    this.#summarize(() => this.#summarizeServices());
  }

  #summarizeServices() {
    this.#refs.leaveComponents();
    for (const node of (this.#shell as CdxBom).services ?? []) this.#summarizer.service(node);
  }

  /**
   * Whether a member of the shell passes the schema, checked before the summary reads it
   * (the rest of the shell is validated by finish): the bom schema applied to just that
   * member besides bomFormat and specVersion checks exactly the member's own subschema.
   */
  #passes(member: 'metadata' | 'services'): boolean {
    if (!(member in this.#shell)) return true;
    const { bomFormat, specVersion } = this.#shell;
    const alone = { bomFormat, specVersion, [member]: this.#shell[member] };
    return passes(cycloneDxValidator(this.#version), alone);
  }

  /** Runs a summary step outside the item loop. */
  #summarize(step: () => void) {
    if (!this.#summarizing) return;
    try {
      step();
    } catch (error) {
      this.#summaryFailed(error);
    }
  }

  /** A summary error is kept for finish (a later part may be invalid), and ends the summary. */
  #summaryFailed(error: unknown) {
    if (!(error instanceof InvalidDocumentError)) throw error;
    this.#summaryError = error;
    this.#summarizing = false;
  }
}
