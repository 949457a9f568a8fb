import { quote } from '../../../platform/text/quote.js';
import { lowerCase, type ParseContext } from './json-values.js';
import { LicenseCollector } from './licenses.js';
import { checkedPurl, isValidPurl } from './purl.js';
import { reject } from './sbom-errors.js';
import { buildSummary } from './sbom-summary.js';
import { DEPENDENCY_OF, KNOWN_RELATIONSHIPS } from './spdx-relationships.js';
import type { ParsedSbom, SbomComponent, SbomRoot } from './types.js';

/*
 * What the core schema (spdx-schema.ts) guarantees once a part of a document has passed it;
 * only the members the summary reads are listed.
 */
export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation?: unknown;
  licenseConcluded?: string;
  licenseDeclared?: string;
  primaryPackagePurpose?: string;
  checksums?: { algorithm: string; checksumValue: string }[];
  externalRefs?: { referenceType: string; referenceLocator: string }[];
}

export interface SpdxRelationship {
  spdxElementId: string;
  relatedSpdxElement: string;
  relationshipType: string;
}

/** The element ids of a document, each kind in document order. */
export interface ElementIds {
  document: string;
  packages: readonly string[];
  files: readonly string[];
  snippets: readonly string[];
}

// SPDX 2.x: an element id is "SPDXRef-" followed by letters, digits, "." and "-" only.
const SPEC_ID = /^SPDXRef-[A-Za-z0-9.-]+$/;
const NOT_A_LICENCE = new Set(['NOASSERTION', 'NONE', '']);
/** An element is indexed as `index * KINDS + kind`: a number per id rather than an object. */
const KIND_ARRAYS = ['', 'packages', 'files', 'snippets'] as const;
const KINDS = KIND_ARRAYS.length;
const PACKAGE = 1;

/**
 * The summary of a valid SPDX document, fed its parts in this order: `package` for every
 * package in document order, then `elements`, `describe`, `relationship` for every
 * relationship in document order, `finish`. Packages come first because a streamed document
 * holds one at a time while whether a package is the root (described) or a component is only
 * known from later parts: each package is reduced to its summary entry at once, and the
 * warnings it may cause are replayed by `describe` in the order the rules give them. Both the
 * whole-document parser and the streaming one drive it, so they cannot disagree.
 *
 * @throws InvalidDocumentError from `elements` for an SPDXID used twice.
 */
export class SpdxSummarizer {
  readonly #context: ParseContext;
  readonly #licences = new LicenseCollector();
  /** Every package's entry; the described ones are taken out by `describe`. */
  #entries: SbomComponent[] = [];
  /** Indexes of the packages without a downloadLocation (rare: SPDX requires it). */
  readonly #noDownloadLocation: number[] = [];
  /** Index → purl that did not parse, reported only for the packages that report a purl. */
  readonly #rejectedPurls = new Map<number, string>();
  #elements = new Map<string, number>();
  #rootIds: ReadonlySet<string> = new Set();
  #root: SbomRoot | null = null;
  readonly #direct = new Set<string>();
  #hasGraph = false;

  constructor(context: ParseContext) {
    this.#context = context;
  }

  /** The document-level deviations worth a warning. */
  header(documentId: string, dataLicense: string): void {
    const { warnings } = this.#context;
    if (documentId !== 'SPDXRef-DOCUMENT') {
      warnings.add(`The document's SPDXID is ${quote(documentId)}, not "SPDXRef-DOCUMENT".`);
    }
    if (dataLicense !== 'CC0-1.0') {
      warnings.add(`dataLicense is ${quote(dataLicense)}; SPDX requires "CC0-1.0".`);
    }
  }

  /** The next package: its summary entry, as if it were a component. */
  package(pkg: SpdxPackage): void {
    const index = this.#entries.length;
    if (pkg.downloadLocation === undefined) this.#noDownloadLocation.push(index);
    const found: string[] = [];
    for (const field of [pkg.licenseConcluded, pkg.licenseDeclared]) {
      if (field === undefined) continue;
      // What LicenseCollector#addExpression records, added by `describe` for components only.
      const value = field.trim();
      if (!NOT_A_LICENCE.has(value) && !found.includes(value)) found.push(value);
    }
    const locator = pkg.externalRefs?.find((ref) => ref.referenceType === 'purl')?.referenceLocator;
    let purl: string | null = null;
    if (locator !== undefined) {
      if (isValidPurl(locator)) {
        purl = locator;
      } else {
        this.#rejectedPurls.set(index, locator);
      }
    }
    this.#entries.push({
      ref: pkg.SPDXID,
      name: pkg.name,
      version: pkg.versionInfo ?? null,
      purl,
      licenses: found,
      // SPDX spells SHA algorithms "SHA256"; the summary uses CycloneDX's "SHA-256" for both formats.
      hashes: (pkg.checksums ?? []).map(({ algorithm, checksumValue }) => ({
        alg: algorithm.replace(/^SHA(\d+)$/, 'SHA-$1'),
        content: lowerCase(checksumValue),
      })),
      type: pkg.primaryPackagePurpose?.toLowerCase() ?? null,
    });
  }

  /**
   * Indexes every element id of the document; a repeated id makes references ambiguous, so
   * it is rejected.
   */
  elements(ids: ElementIds, what: string): void {
    const { prefix, warnings } = this.#context;
    const elements = new Map<string, number>();
    const pathOf = (code: number) => {
      const kind = code % KINDS;
      return kind === 0 ? prefix : `${prefix}/${KIND_ARRAYS[kind]}/${(code - kind) / KINDS}`;
    };
    const add = (id: string, code: number) => {
      const first = elements.get(id);
      if (first !== undefined) {
        reject(
          what,
          [
            {
              path: `${pathOf(code)}/SPDXID`,
              message: `SPDXID ${quote(id)} is already used by ${pathOf(first) || 'the document'}`,
            },
          ],
          'invalid_structure',
        );
      }
      elements.set(id, code);
      if (!SPEC_ID.test(id)) {
        warnings.tally(
          'spdx-id-characters',
          id,
          (count, examples) =>
            `SPDX ids with characters other than letters, digits, "." and "-" after "SPDXRef-" (npm sbom emits "_"), accepted as written: ${count} (${examples})`,
        );
      }
    };
    add(ids.document, 0);
    for (let kind = 1; kind < KINDS; kind += 1) {
      const list = ids[KIND_ARRAYS[kind] as 'packages' | 'files' | 'snippets'];
      for (let index = 0; index < list.length; index += 1) {
        add(list[index] as string, index * KINDS + kind);
      }
    }
    this.#elements = elements;
  }

  /**
   * The described elements (documentDescribes, DOCUMENT DESCRIBES x and x DESCRIBED_BY
   * DOCUMENT, in that order): the described packages are the roots, the first one is
   * reported. Then every package's entry is settled. `relationships` may hold just the
   * DESCRIBES and DESCRIBED_BY ones.
   */
  describe(
    documentId: string,
    documentDescribes: readonly string[] | undefined,
    relationships: Iterable<SpdxRelationship>,
  ): void {
    const { warnings } = this.#context;
    const elements = this.#elements;
    const described = new Set<string>(documentDescribes);
    for (const {
      spdxElementId: from,
      relatedSpdxElement: to,
      relationshipType: type,
    } of relationships) {
      if (type === 'DESCRIBES' && from === documentId) described.add(to);
      if (type === 'DESCRIBED_BY' && to === documentId) described.add(from);
    }
    for (const id of described) {
      if (!elements.has(id)) {
        warnings.tally(
          'spdx-unknown-described',
          id,
          (count, examples) =>
            `Described elements that are not in the document: ${count} (${examples})`,
        );
      }
    }
    const rootIds = new Set(
      [...described].filter((id) => (elements.get(id) ?? 0) % KINDS === PACKAGE),
    );
    this.#rootIds = rootIds;
    const [firstRootId] = rootIds;
    if (firstRootId === undefined) {
      warnings.add(
        'The document describes no package, so it has no root: every package is a component and none counts as direct.',
      );
    } else if (rootIds.size > 1) {
      warnings.add(
        `The document describes ${rootIds.size} packages; none of them is counted as a component, and the root reported is ${firstRootId}.`,
      );
    }
    this.#settlePackages(firstRootId);
  }

  /** The next relationship: its ends must resolve (or are tallied); it may be a dependency. */
  relationship({
    spdxElementId: from,
    relatedSpdxElement: to,
    relationshipType: type,
  }: SpdxRelationship): void {
    this.#checkResolves(from);
    this.#checkResolves(to);
    if (!KNOWN_RELATIONSHIPS.has(type)) {
      this.#context.warnings.tally(
        'spdx-unknown-relationship',
        type,
        (count, examples) =>
          `Relationships of a type SPDX 2.3 does not define, ignored: ${count} (${examples})`,
      );
    } else if (type === 'DEPENDS_ON') {
      this.#hasGraph = true;
      if (this.#rootIds.has(from)) this.#direct.add(to);
    } else if (DEPENDENCY_OF.has(type)) {
      this.#hasGraph = true;
      if (this.#rootIds.has(to)) this.#direct.add(from);
    }
  }

  finish(version: string): ParsedSbom {
    const { warnings } = this.#context;
    return {
      format: 'spdx',
      spec_version: version.slice('SPDX-'.length),
      summary: buildSummary({
        components: this.#entries,
        directRefs: this.#direct,
        root: this.#root,
        hasDependencyGraph: this.#hasGraph,
        licences: this.#licences,
        warnings,
      }),
      warnings: warnings.toArray(),
    };
  }

  /**
   * Per package, in document order: its warnings, then either a component (its licences
   * collected) or, for the first root, the root. The other roots are neither.
   */
  #settlePackages(firstRootId: string | undefined) {
    const { warnings } = this.#context;
    const rootIds = this.#rootIds;
    const components: SbomComponent[] = [];
    const missing = this.#noDownloadLocation;
    let nextMissing = 0;
    this.#entries.forEach((entry, index) => {
      if (missing[nextMissing] === index) {
        nextMissing += 1;
        warnings.tally(
          'spdx-no-download-location',
          entry.ref as string,
          (count, examples) =>
            `Packages without the downloadLocation SPDX requires: ${count} (${examples})`,
        );
      }
      const isRoot = rootIds.has(entry.ref as string);
      if (isRoot && entry.ref !== firstRootId) return;
      const rejected = this.#rejectedPurls.get(index);
      // checkedPurl again, for its warning: the purl was found not to parse.
      if (rejected !== undefined) checkedPurl(rejected, warnings);
      if (isRoot) {
        this.#root = { name: entry.name, version: entry.version, purl: entry.purl };
        return;
      }
      for (const licence of entry.licenses) this.#licences.addExpression(licence);
      components.push(entry);
    });
    this.#entries = components;
  }

  #checkResolves(id: string) {
    // NONE / NOASSERTION are allowed ends; DocumentRef-…:SPDXRef-… points into another document.
    if (this.#elements.has(id) || id === 'NONE' || id === 'NOASSERTION') return;
    if (id.startsWith('DocumentRef-')) return;
    this.#context.warnings.tally(
      'spdx-dangling-relationship',
      id,
      (count, examples) =>
        `Relationship ends that name no element of this document: ${count} (${examples})`,
    );
  }
}
