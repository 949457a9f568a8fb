import { quote } from '../../../platform/text/quote.js';
import type { JsonObject, ParseContext } from './json-values.js';
import { reject, validateOrReject } from './sbom-errors.js';
import { spdxValidator } from './spdx-schema.js';
import { type SpdxPackage, type SpdxRelationship, SpdxSummarizer } from './spdx-summary.js';
import type { ParsedSbom } from './types.js';

export const SPDX_VERSIONS: readonly string[] = ['SPDX-2.2', 'SPDX-2.3'];

/** What the core schema guarantees of a valid document (see spdx-summary.ts for the parts). */
export interface SpdxDocument {
  SPDXID: string;
  dataLicense: string;
  documentDescribes?: string[];
  packages?: SpdxPackage[];
  files?: { SPDXID: string }[];
  snippets?: { SPDXID: string }[];
  relationships?: SpdxRelationship[];
}

export function parseSpdx(document: JsonObject, context: ParseContext): ParsedSbom {
  const version = spdxVersionOf(document, context.prefix);
  const what = describeSpdx(version);
  validateOrReject(spdxValidator(), document, what, context.prefix);
  const spdx = document as unknown as SpdxDocument;
  const summarizer = new SpdxSummarizer(context);
  summarizer.header(spdx.SPDXID, spdx.dataLicense);
  const packages = spdx.packages ?? [];
  for (const pkg of packages) summarizer.package(pkg);
  summarizer.elements(
    {
      document: spdx.SPDXID,
      packages: idsOf(packages),
      files: idsOf(spdx.files),
      snippets: idsOf(spdx.snippets),
    },
    what,
  );
  const relationships = spdx.relationships ?? [];
  summarizer.describe(spdx.SPDXID, spdx.documentDescribes, relationships);
  for (const relationship of relationships) summarizer.relationship(relationship);
  return summarizer.finish(version);
}

/** The document's spdxVersion, when it is one this parser reads. */
export function spdxVersionOf(document: JsonObject, prefix: string): string {
  const version = document.spdxVersion;
  if (typeof version !== 'string' || !SPDX_VERSIONS.includes(version)) {
    const message =
      version === undefined
        ? 'required property is missing'
        : `unsupported spdxVersion ${quote(version)}; expected one of ${SPDX_VERSIONS.join(', ')}`;
    reject(
      'The SPDX document',
      [{ path: `${prefix}/spdxVersion`, message }],
      'unsupported_version',
    );
  }
  return version;
}

/** How errors name a document of a supported version. */
export function describeSpdx(version: string): string {
  return `The ${version} document`;
}

function idsOf(elements: readonly { SPDXID: string }[] | undefined): string[] {
  return elements === undefined ? [] : elements.map((element) => element.SPDXID);
}
