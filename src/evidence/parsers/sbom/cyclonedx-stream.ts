import { type JsonSlice, MemberMode, type SplitHandler } from '../json-stream/object-splitter.js';
import { cycloneDxVersionOf } from './cyclonedx.js';
import {
  type CycloneDxVersion,
  isCycloneDxVersion,
  type StreamedArray,
} from './cyclonedx-schema.js';
import { StreamedBom } from './cyclonedx-stream-bom.js';
import { chooseFormat } from './detect.js';
import type { JsonObject } from './json-values.js';
import {
  ATTESTATION_MEMBERS,
  NotStreamable,
  type ReadDocument,
  runPass,
  StopPass,
  setMember,
  streamedOrDeclined,
} from './stream-pass.js';
import type { ParsedSbom, ParseSbomOptions } from './types.js';

export type { ReadDocument } from './stream-pass.js';

/** The members that grow with the SBOM: streamed item by item, never held whole. */
const STREAMED: ReadonlySet<string> = new Set<StreamedArray>(['components', 'dependencies']);

/**
 * parseSbom for a plain CycloneDX JSON document read in chunks: the same ParsedSbom, or the
 * same InvalidDocumentError, holding one top-level component (or dependency entry) at a time
 * besides the summary and the document's other members. The document is read once, or again
 * when its members come in an order the summary cannot follow in one pass (metadata after
 * components, dependencies before components, specVersion after components…), and again to
 * settle rare items that may repeat an earlier one, or to locate a syntax error.
 *
 * @returns null when the document is not for this parser: its root is not an object, it is
 *   a DSSE envelope or in-toto statement, it has no bomFormat (SPDX, other JSON), or it
 *   repeats a top-level member. parseSbom of the whole document answers those.
 * @throws InvalidDocumentError as parseSbom does.
 */
export function parseCycloneDxStream(
  read: ReadDocument,
  options: ParseSbomOptions = {},
): ParsedSbom | null {
  return streamedOrDeclined(read, () => parseStream(read, options));
}

function parseStream(read: ReadDocument, options: ParseSbomOptions): ParsedSbom {
  const first = new FirstPass(options);
  runPass(read, first, true);
  const { shell, seen } = first;
  if (!seen.has('bomFormat')) throw new NotStreamable();
  const outcome = first.outcome();
  const version = outcome === 'reject' || outcome === 'unknown' ? null : outcome;
  let bom = first.bom;
  if (!first.live) {
    // Pass 1 could not follow the document's order: what it skipped is read now.
    const arrays = [...seen].filter(
      (key): key is StreamedArray => STREAMED.has(key) && Array.isArray(shell[key]),
    );
    if (version === null) {
      // Refused below whatever the items hold, once they are known to be valid JSON.
      runPass(read, new ItemsPass(new Set(arrays.filter((key) => first.skipped.has(key))), null));
    } else {
      bom = new StreamedBom(version, shell);
      // The summary needs every component before any dependency entry.
      if (arrays.length === 2 && arrays[0] === 'dependencies') {
        runPass(read, new ItemsPass(new Set(['components']), bom));
        runPass(read, new ItemsPass(new Set(['dependencies']), bom));
      } else {
        runPass(read, new ItemsPass(new Set(arrays), bom));
      }
    }
  }
  // parseSbom's own checks, in its order, once the document is known to be JSON.
  chooseFormat(shell, '', options.format);
  bom ??= new StreamedBom(cycloneDxVersionOf(shell, ''), shell);
  return bom.finish((array, wanted, visit) => {
    runPass(read, new RereadPass(array, wanted, visit));
  });
}

/**
 * Pass 1: parses every member but the streamed arrays into the shell, and streams the arrays
 * into a StreamedBom as long as the document's order allows ("live"). bomFormat and
 * specVersion must come before the first array; metadata before components; components and
 * services before dependencies. Past the first member out of that order the arrays are only
 * scanned, for a later pass.
 */
class FirstPass implements SplitHandler {
  readonly shell: JsonObject = {};
  readonly seen = new Set<string>();
  /** Arrays whose items this pass did not parse. */
  readonly skipped = new Set<string>();
  live = true;
  bom: StreamedBom | undefined;
  readonly #options: ParseSbomOptions;
  /** Null while the items of the current array are only checked for syntax. */
  #target: StreamedBom | null = null;

  constructor(options: ParseSbomOptions) {
    this.#options = options;
  }

  modeOf(key: string): MemberMode {
    if (this.seen.has(key) || ATTESTATION_MEMBERS.has(key)) throw new NotStreamable();
    this.seen.add(key);
    const bom = this.bom;
    if (
      bom !== undefined &&
      ((key === 'metadata' && bom.rootDone) ||
        ((key === 'services' || key === 'components') && bom.servicesDone))
    ) {
      this.live = false;
    }
    if (!STREAMED.has(key)) return MemberMode.VALUE;
    if (!this.live) return MemberMode.ARRAY_ONLY;
    const outcome = this.outcome();
    if (outcome === 'unknown') {
      this.live = false;
      return MemberMode.ARRAY_ONLY;
    }
    return MemberMode.ELEMENTS;
  }

  member(key: string, value: JsonSlice): void {
    setMember(this.shell, key, value.parse());
  }

  arrayStart(key: string): void {
    setMember(this.shell, key, []);
    if (!this.live) {
      this.skipped.add(key);
      return;
    }
    const outcome = this.outcome();
    if (outcome === 'reject') {
      this.#target = null;
      return;
    }
    this.bom ??= new StreamedBom(outcome as CycloneDxVersion, this.shell);
    this.bom.begin(key as StreamedArray);
    this.#target = this.bom;
  }

  element(index: number, value: JsonSlice): void {
    if (this.#target === null) {
      value.parse();
    } else {
      this.#target.item(index, value);
    }
  }

  arrayEnd(): void {}

  /**
   * What the members read so far say: the version to validate items against, 'reject' when
   * parseSbom will refuse the document before validating it (another bomFormat, an
   * unsupported specVersion, format=spdx), 'unknown' before bomFormat and specVersion.
   */
  outcome(): CycloneDxVersion | 'reject' | 'unknown' {
    if (!this.seen.has('bomFormat')) return 'unknown';
    if (this.#options.format === 'spdx' || this.shell.bomFormat !== 'CycloneDX') return 'reject';
    if (!this.seen.has('specVersion')) return 'unknown';
    const version = this.shell.specVersion;
    return isCycloneDxVersion(version) ? version : 'reject';
  }
}

/**
 * A later pass: streams the items of `arrays` (into `bom`, or only parses them when the
 * document will be refused anyway), skipping everything else.
 */
class ItemsPass implements SplitHandler {
  readonly #arrays: ReadonlySet<string>;
  readonly #bom: StreamedBom | null;

  constructor(arrays: ReadonlySet<string>, bom: StreamedBom | null) {
    this.#arrays = arrays;
    this.#bom = bom;
  }

  modeOf(key: string): MemberMode {
    return this.#arrays.has(key) ? MemberMode.ELEMENTS : MemberMode.SKIP;
  }

  member(): void {}

  arrayStart(key: string): void {
    this.#bom?.begin(key as StreamedArray);
  }

  element(index: number, value: JsonSlice): void {
    if (this.#bom === null) {
      value.parse();
    } else {
      this.#bom.item(index, value);
    }
  }

  arrayEnd(): void {}
}

/** Parses some items of one array again, in order, until `visit` says it has seen enough. */
class RereadPass implements SplitHandler {
  readonly #array: string;
  readonly #wanted: ReadonlySet<number>;
  readonly #visit: (index: number, item: unknown) => boolean;

  constructor(
    array: string,
    wanted: ReadonlySet<number>,
    visit: (index: number, item: unknown) => boolean,
  ) {
    this.#array = array;
    this.#wanted = wanted;
    this.#visit = visit;
  }

  modeOf(key: string): MemberMode {
    return key === this.#array ? MemberMode.ELEMENTS : MemberMode.SKIP;
  }

  member(): void {}

  arrayStart(): void {}

  element(index: number, value: JsonSlice): void {
    if (this.#wanted.has(index) && this.#visit(index, value.parse())) throw new StopPass();
  }

  arrayEnd(): void {
    throw new StopPass();
  }
}
