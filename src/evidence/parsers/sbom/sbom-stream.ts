import { JsonSplitError, MemberMode, type SplitHandler } from '../json-stream/object-splitter.js';
import { parseCycloneDxStream } from './cyclonedx-stream.js';
import { parseSpdxStream } from './spdx-stream.js';
import { ATTESTATION_MEMBERS, type ReadDocument, runPass, StopPass } from './stream-pass.js';
import type { ParsedSbom, ParseSbomOptions, SbomFormat } from './types.js';

/**
 * parseSbom for a document read in chunks, by the streaming parser of its format: the
 * requested one, else the one its first format member (bomFormat, spdxVersion) names.
 *
 * @returns null when no streaming parser takes the document (see parseCycloneDxStream and
 *   parseSpdxStream): parseSbom of the whole document answers then.
 * @throws InvalidDocumentError as parseSbom does.
 */
export function parseSbomStream(
  read: ReadDocument,
  options: ParseSbomOptions = {},
): ParsedSbom | null {
  const format = options.format ?? detectFormat(read);
  if (format === 'cyclonedx') return parseCycloneDxStream(read, options);
  if (format === 'spdx') return parseSpdxStream(read, options);
  return null;
}

const FORMAT_MEMBERS: ReadonlyMap<string, SbomFormat> = new Map([
  ['bomFormat', 'cyclonedx'],
  ['spdxVersion', 'spdx'],
]);

/**
 * The format named by the first format member (null at an attestation member first), found
 * by scanning (not parsing) the document up to it: usually its first member. Each parser declines a document whose other
 * members say otherwise (a later bomFormat wins over spdxVersion, as in chooseFormat).
 */
function detectFormat(read: ReadDocument): SbomFormat | null {
  let found: SbomFormat | null = null;
  const handler: SplitHandler = {
    modeOf(key) {
      found = FORMAT_MEMBERS.get(key) ?? null;
      if (found !== null || ATTESTATION_MEMBERS.has(key)) throw new StopPass();
      return MemberMode.SKIP;
    },
    member() {},
    arrayStart() {},
    element() {},
    arrayEnd() {},
  };
  try {
    runPass(read, handler, true);
  } catch (error) {
    if (!(error instanceof JsonSplitError)) throw error;
    if (error.declined) return null;
    // Scanning alone may stop at a later error than parsing does: a pass that parses every
    // member (the SPDX one holds one array item at a time) throws the first, unless it
    // declines the document first; parseSbom of the whole document answers then.
    parseSpdxStream(read);
    return null;
  }
  return found;
}
