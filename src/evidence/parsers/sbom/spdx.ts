import { type JsonObject, lowerCase, type ParseContext } from './json-values.js';
import { LicenseCollector } from './licenses.js';
import { checkedPurl } from './purl.js';
import { reject, validateOrReject } from './sbom-errors.js';
import { buildSummary } from './sbom-summary.js';
import { DEPENDENCY_OF, KNOWN_RELATIONSHIPS } from './spdx-relationships.js';
import { spdxValidator } from './spdx-schema.js';
import type { ParsedSbom, SbomComponent, SbomRoot } from './types.js';

export const SPDX_VERSIONS: readonly string[] = ['SPDX-2.2', 'SPDX-2.3'];

// SPDX 2.x: an element id is "SPDXRef-" followed by letters, digits, "." and "-" only.
const SPEC_ID = /^SPDXRef-[A-Za-z0-9.-]+$/;
const NOT_A_LICENCE = new Set(['NOASSERTION', 'NONE', '']);
/*
 * What the core schema (spdx-schema.ts) guarantees once a document has passed it; only the
 * members this parser reads are listed.
 */
interface Package {
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

interface Relationship {
  spdxElementId: string;
  relatedSpdxElement: string;
  relationshipType: string;
}

interface SpdxDocument {
  SPDXID: string;
  dataLicense: string;
  documentDescribes?: string[];
  packages?: Package[];
  files?: { SPDXID: string }[];
  snippets?: { SPDXID: string }[];
  relationships?: Relationship[];
}

export function parseSpdx(document: JsonObject, context: ParseContext): ParsedSbom {
  const { prefix, warnings } = context;
  const version = document.spdxVersion;
  if (typeof version !== 'string' || !SPDX_VERSIONS.includes(version)) {
    const message =
      version === undefined
        ? 'required property is missing'
        : `unsupported spdxVersion ${JSON.stringify(version)}; expected one of ${SPDX_VERSIONS.join(', ')}`;
    reject(
      'The SPDX document',
      [{ path: `${prefix}/spdxVersion`, message }],
      'unsupported_version',
    );
  }
  const what = `The ${version} document`;
  validateOrReject(spdxValidator(), document, what, prefix);
  const spdx = document as unknown as SpdxDocument;

  if (spdx.SPDXID !== 'SPDXRef-DOCUMENT') {
    warnings.add(
      `The document's SPDXID is ${JSON.stringify(spdx.SPDXID)}, not "SPDXRef-DOCUMENT".`,
    );
  }
  if (spdx.dataLicense !== 'CC0-1.0') {
    warnings.add(`dataLicense is ${JSON.stringify(spdx.dataLicense)}; SPDX requires "CC0-1.0".`);
  }
  const elements = indexElements(spdx, what, context);
  const described = describedIds(spdx, elements, context);
  const rootIds = new Set([...described].filter((id) => elements.get(id)?.kind === 'package'));
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

  const licences = new LicenseCollector();
  const components: SbomComponent[] = [];
  let root: SbomRoot | null = null;
  for (const pkg of spdx.packages ?? []) {
    if (pkg.downloadLocation === undefined) {
      warnings.tally(
        'spdx-no-download-location',
        pkg.SPDXID,
        (count, examples) =>
          `Packages without the downloadLocation SPDX requires: ${count} (${examples})`,
      );
    }
    if (!rootIds.has(pkg.SPDXID)) {
      components.push(toComponent(pkg, licences, context));
    } else if (pkg.SPDXID === firstRootId) {
      root = { name: pkg.name, version: pkg.versionInfo ?? null, purl: packagePurl(pkg, context) };
    }
  }

  const { direct, hasGraph } = dependencies(spdx, rootIds, elements, context);
  return {
    format: 'spdx',
    spec_version: version.slice('SPDX-'.length),
    summary: buildSummary({
      components,
      directRefs: direct,
      root,
      hasDependencyGraph: hasGraph,
      licences,
      warnings,
    }),
    warnings: warnings.toArray(),
  };
}

interface Element {
  kind: 'document' | 'package' | 'file' | 'snippet';
  path: string;
}

/** Every element id of the document; a repeated id makes references ambiguous, so it is rejected. */
function indexElements(spdx: SpdxDocument, what: string, { prefix, warnings }: ParseContext) {
  const elements = new Map<string, Element>();
  const add = (id: string, kind: Element['kind'], path: string) => {
    const first = elements.get(id);
    if (first !== undefined) {
      reject(
        what,
        [
          {
            path: `${path}/SPDXID`,
            message: `SPDXID ${JSON.stringify(id)} is already used by ${first.path || 'the document'}`,
          },
        ],
        'invalid_structure',
      );
    }
    elements.set(id, { kind, path });
    if (!SPEC_ID.test(id)) {
      warnings.tally(
        'spdx-id-characters',
        id,
        (count, examples) =>
          `SPDX ids with characters other than letters, digits, "." and "-" after "SPDXRef-" (npm sbom emits "_"), accepted as written: ${count} (${examples})`,
      );
    }
  };
  add(spdx.SPDXID, 'document', prefix);
  for (const kind of ['package', 'file', 'snippet'] as const) {
    (spdx[`${kind}s`] ?? []).forEach((element, index) => {
      add(element.SPDXID, kind, `${prefix}/${kind}s/${index}`);
    });
  }
  return elements;
}

/** documentDescribes, DOCUMENT DESCRIBES x and x DESCRIBED_BY DOCUMENT, in that order. */
function describedIds(
  spdx: SpdxDocument,
  elements: ReadonlyMap<string, Element>,
  { warnings }: ParseContext,
) {
  const described = new Set<string>(spdx.documentDescribes);
  for (const {
    spdxElementId: from,
    relatedSpdxElement: to,
    relationshipType: type,
  } of spdx.relationships ?? []) {
    if (type === 'DESCRIBES' && from === spdx.SPDXID) described.add(to);
    if (type === 'DESCRIBED_BY' && to === spdx.SPDXID) described.add(from);
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
  return described;
}

function dependencies(
  spdx: SpdxDocument,
  rootIds: ReadonlySet<string>,
  elements: ReadonlyMap<string, Element>,
  { warnings }: ParseContext,
): { direct: Set<string>; hasGraph: boolean } {
  const direct = new Set<string>();
  let hasGraph = false;
  const checkResolves = (id: string) => {
    // NONE / NOASSERTION are allowed ends; DocumentRef-…:SPDXRef-… points into another document.
    const resolves = elements.has(id) || id === 'NONE' || id === 'NOASSERTION';
    if (resolves || id.startsWith('DocumentRef-')) return;
    warnings.tally(
      'spdx-dangling-relationship',
      id,
      (count, examples) =>
        `Relationship ends that name no element of this document: ${count} (${examples})`,
    );
  };
  for (const {
    spdxElementId: from,
    relatedSpdxElement: to,
    relationshipType: type,
  } of spdx.relationships ?? []) {
    checkResolves(from);
    checkResolves(to);
    if (!KNOWN_RELATIONSHIPS.has(type)) {
      warnings.tally(
        'spdx-unknown-relationship',
        type,
        (count, examples) =>
          `Relationships of a type SPDX 2.3 does not define, ignored: ${count} (${examples})`,
      );
    } else if (type === 'DEPENDS_ON') {
      hasGraph = true;
      if (rootIds.has(from)) direct.add(to);
    } else if (DEPENDENCY_OF.has(type)) {
      hasGraph = true;
      if (rootIds.has(to)) direct.add(from);
    }
  }
  return { direct, hasGraph };
}

function toComponent(
  pkg: Package,
  licences: LicenseCollector,
  context: ParseContext,
): SbomComponent {
  const found: string[] = [];
  for (const field of [pkg.licenseConcluded, pkg.licenseDeclared]) {
    if (field === undefined || NOT_A_LICENCE.has(field.trim())) continue;
    const value = licences.addExpression(field) as string;
    if (!found.includes(value)) found.push(value);
  }
  return {
    ref: pkg.SPDXID,
    name: pkg.name,
    version: pkg.versionInfo ?? null,
    purl: packagePurl(pkg, context),
    licenses: found,
    // SPDX spells SHA algorithms "SHA256"; the summary uses CycloneDX's "SHA-256" for both formats.
    hashes: (pkg.checksums ?? []).map(({ algorithm, checksumValue }) => ({
      alg: algorithm.replace(/^SHA(\d+)$/, 'SHA-$1'),
      content: lowerCase(checksumValue),
    })),
    type: pkg.primaryPackagePurpose?.toLowerCase() ?? null,
  };
}

/** The first purl external reference (SPDX allows several; tools emit one). */
function packagePurl(pkg: Package, { warnings }: ParseContext): string | null {
  const reference = pkg.externalRefs?.find((ref) => ref.referenceType === 'purl');
  return checkedPurl(reference?.referenceLocator, warnings);
}
