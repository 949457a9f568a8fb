import { type JsonSlice, MemberMode, type SplitHandler } from '../json-stream/object-splitter.js';
import { chooseFormat } from './detect.js';
import type { JsonObject } from './json-values.js';
import { describeSpdx, type SpdxDocument, spdxVersionOf } from './spdx.js';
import {
  spdxItemValidator,
  type ValidatedArray,
  validateWithStandIns,
} from './spdx-stream-reject.js';
import { type SpdxPackage, type SpdxRelationship, SpdxSummarizer } from './spdx-summary.js';
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
import { Warnings } from './warnings.js';

/** The members that grow with the SBOM and that the core schema constrains item by item. */
const VALIDATED: ReadonlySet<string> = new Set<ValidatedArray>([
  'packages',
  'files',
  'snippets',
  'relationships',
]);
/** SPDX 2.3's other growing arrays: unchecked by the core schema, only their syntax matters. */
const PARSED_ONLY: ReadonlySet<string> = new Set([
  'annotations',
  'externalDocumentRefs',
  'hasExtractedLicensingInfos',
  'revieweds',
]);
/**
 * Members that make the upload something else: an attestation (see dsse.ts) or a CycloneDX
 * document (`bomFormat` decides the format wherever it is), left to the whole-document parser.
 */
const DECLINED_MEMBERS: ReadonlySet<string> = new Set([...ATTESTATION_MEMBERS, 'bomFormat']);
const DESCRIBING: ReadonlySet<string> = new Set(['DESCRIBES', 'DESCRIBED_BY']);

/**
 * parseSbom for a plain SPDX 2.2/2.3 JSON document read in chunks: the same ParsedSbom, or
 * the same InvalidDocumentError, holding one element of each growing array (packages, files,
 * snippets, relationships, annotations…) at a time besides the summary, the element ids and
 * the document's other members. The document is read once, and a second time for the
 * relationships, which the summary can only follow once every element id and the described
 * packages are known (the relationships that say which those are may come last).
 *
 * @returns null when the document is not for this parser: its root is not an object, it is
 *   a DSSE envelope or in-toto statement, it has no spdxVersion or has a bomFormat, or it
 *   repeats a top-level member. parseSbom of the whole document answers those.
 * @throws InvalidDocumentError as parseSbom does.
 */
export function parseSpdxStream(
  read: ReadDocument,
  options: ParseSbomOptions = {},
): ParsedSbom | null {
  return streamedOrDeclined(read, () => parseStream(read, options));
}

function parseStream(read: ReadDocument, options: ParseSbomOptions): ParsedSbom {
  const summarizer = new SpdxSummarizer({ warnings: new Warnings(), prefix: '' });
  const first = new FirstPass(summarizer);
  runPass(read, first, true);
  const { shell, invalid } = first;
  if (!('spdxVersion' in shell)) throw new NotStreamable();
  // parseSbom's own checks, in its order, once the document is known to be JSON.
  chooseFormat(shell, '', options.format);
  const version = spdxVersionOf(shell, '');
  const what = describeSpdx(version);
  validateWithStandIns(shell, invalid, what);
  // An item failed alone but not in the document: never expected, and safe to decline.
  if (invalid.size > 0) throw new NotStreamable();
  const spdx = shell as unknown as SpdxDocument;
  summarizer.header(spdx.SPDXID, spdx.dataLicense);
  summarizer.elements({ document: spdx.SPDXID, ...first.ids }, what);
  summarizer.describe(spdx.SPDXID, spdx.documentDescribes, first.describing);
  if (first.relationshipsAt >= 0) {
    runPass(
      () => relationshipsOnward(read, first.relationshipsAt),
      new RelationshipsPass(summarizer),
    );
  }
  return summarizer.finish(version);
}

/**
 * Pass 1: parses every member but the growing arrays into the shell; validates the items of
 * those arrays against their definitions (up to the first invalid one of each), and while
 * every item so far is valid, feeds the packages to the summarizer and keeps the element
 * ids and the describing relationships.
 */
class FirstPass implements SplitHandler {
  readonly shell: JsonObject = {};
  /** Per array, its first invalid item and where. */
  readonly invalid = new Map<ValidatedArray, [number, unknown]>();
  readonly ids = { packages: [] as string[], files: [] as string[], snippets: [] as string[] };
  readonly describing: SpdxRelationship[] = [];
  /** Byte offset of the first relationship, for the second pass; -1 without one. */
  relationshipsAt = -1;
  readonly #seen = new Set<string>();
  readonly #summarizer: SpdxSummarizer;
  /** The validated array being streamed; null for one only parsed. */
  #array: ValidatedArray | null = null;

  constructor(summarizer: SpdxSummarizer) {
    this.#summarizer = summarizer;
  }

  modeOf(key: string): MemberMode {
    if (this.#seen.has(key) || DECLINED_MEMBERS.has(key)) throw new NotStreamable();
    this.#seen.add(key);
    return VALIDATED.has(key) || PARSED_ONLY.has(key) ? MemberMode.ELEMENTS : MemberMode.VALUE;
  }

  member(key: string, value: JsonSlice): void {
    setMember(this.shell, key, value.parse());
  }

  arrayStart(key: string): void {
    setMember(this.shell, key, []);
    this.#array = VALIDATED.has(key) ? (key as ValidatedArray) : null;
  }

  element(index: number, value: JsonSlice): void {
    const item = value.parse();
    const array = this.#array;
    // Past an array's first invalid item, Ajv looks no further into that array.
    if (array === null || this.invalid.has(array)) return;
    if (!spdxItemValidator(array)(item)) {
      this.invalid.set(array, [index, item]);
      return;
    }
    // The document will be refused: no summary needed.
    if (this.invalid.size > 0) return;
    if (array === 'relationships') {
      if (index === 0) this.relationshipsAt = value.offset;
      this.#relationship(item as SpdxRelationship);
      return;
    }
    const element = item as SpdxPackage;
    this.ids[array].push(element.SPDXID);
    if (array === 'packages') this.#summarizer.package(element);
  }

  arrayEnd(): void {}

  /** Keeps what may name a described element (few: usually the one DOCUMENT DESCRIBES x). */
  #relationship(relationship: SpdxRelationship) {
    if (!DESCRIBING.has(relationship.relationshipType)) return;
    const { SPDXID: documentId } = this.shell;
    if (
      typeof documentId === 'string' &&
      relationship.spdxElementId !== documentId &&
      relationship.relatedSpdxElement !== documentId
    ) {
      return;
    }
    this.describing.push(relationship);
  }
}

/**
 * The document from its first relationship on, as the start of an object whose first member
 * is the relationships: the second pass need not scan the members before them (the document
 * is known to be valid JSON by then).
 */
function* relationshipsOnward(read: ReadDocument, offset: number): Generator<Uint8Array> {
  yield Buffer.from('{"relationships":[');
  let at = 0;
  for (const chunk of read()) {
    const end = at + chunk.length;
    if (end > offset) yield at >= offset ? chunk : chunk.subarray(offset - at);
    at = end;
  }
}

/** Pass 2: the relationships, in order, to the summarizer. */
class RelationshipsPass implements SplitHandler {
  readonly #summarizer: SpdxSummarizer;

  constructor(summarizer: SpdxSummarizer) {
    this.#summarizer = summarizer;
  }

  /** The only member this pass sees is the relationships (see relationshipsOnward). */
  modeOf(): MemberMode {
    return MemberMode.ELEMENTS;
  }

  member(): void {}

  arrayStart(): void {}

  element(_index: number, value: JsonSlice): void {
    this.#summarizer.relationship(value.parse() as SpdxRelationship);
  }

  arrayEnd(): void {
    throw new StopPass();
  }
}
