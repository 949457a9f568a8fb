import { invalidJson } from '../json-stream/invalid-json.js';
import {
  JsonObjectSplitter,
  JsonSplitError,
  type SplitHandler,
} from '../json-stream/object-splitter.js';
import { rejectNonJson } from './detect.js';
import type { JsonObject } from './json-values.js';
import type { ParsedSbom } from './types.js';

/** A fresh pass over the whole document each time it is called (e.g. reading a staged file). */
export type ReadDocument = () => Iterable<Uint8Array>;

/** The document is valid JSON but not one a streaming parser takes: the whole-document one will. */
export class NotStreamable extends Error {}

/** Members of an attestation (see dsse.ts): the SBOM is inside, left to the whole-document parser. */
export const ATTESTATION_MEMBERS: ReadonlySet<string> = new Set([
  'payloadType',
  'payload',
  '_type',
]);

/**
 * A streaming parser's entry: its answer, null when it declines the document (NotStreamable,
 * or a root that is not an object), and a syntax error as parseSbom words it.
 */
export function streamedOrDeclined(read: ReadDocument, parse: () => ParsedSbom): ParsedSbom | null {
  try {
    return parse();
  } catch (error) {
    if (error instanceof NotStreamable) return null;
    if (error instanceof JsonSplitError) {
      if (error.declined) return null;
      throw invalidJson('SBOM', error, read);
    }
    throw error;
  }
}

/** Thrown by a handler to end a pass early. */
export class StopPass extends Error {}

/** rejectNonJson looks at most this far into the document ("ustar" of a tar at 257). */
const HEAD_BYTES = 262;

/**
 * One pass of the splitter over the document, the first one (`first`) checking what
 * rejectNonJson checks before anything is split. A handler ends the pass with StopPass.
 */
export function runPass(read: ReadDocument, handler: SplitHandler, first = false): void {
  const splitter = new JsonObjectSplitter(handler);
  let head: Buffer[] | null = first ? [] : null;
  let headLength = 0;
  try {
    for (const chunk of read()) {
      if (head === null) {
        splitter.push(chunk);
        continue;
      }
      head.push(Buffer.from(chunk));
      headLength += chunk.length;
      if (headLength >= HEAD_BYTES) {
        splitter.push(checkedHead(head));
        head = null;
      }
    }
    if (head !== null) splitter.push(checkedHead(head));
    splitter.end();
  } catch (error) {
    if (!(error instanceof StopPass)) throw error;
  }
}

function checkedHead(chunks: Buffer[]): Buffer {
  const head = Buffer.concat(chunks);
  rejectNonJson(head);
  return head;
}

/** Own property, even for "__proto__" (JSON.parse makes it one). */
export function setMember(object: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(object, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
