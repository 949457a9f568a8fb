import { readFileSync } from 'node:fs';
import {
  type DocumentKind,
  type ParsedEvidence,
  type ParseOptions,
  parseDocumentEvidence,
} from './parse-evidence.js';

/** A document in memory, or staged to a file by the service (large or unknown-length bodies). */
export type DocumentInput = Uint8Array | { path: string; size: number };

export function isStagedInput(input: DocumentInput): input is { path: string; size: number } {
  return !(input instanceof Uint8Array);
}

export function inputSize(input: DocumentInput): number {
  return isStagedInput(input) ? input.size : input.byteLength;
}

/**
 * The I/O edge of parsing: a staged document is read from its file here (on a worker thread
 * for large ones), then handed to the pure parsers.
 */
export function parseDocumentInput(
  kind: DocumentKind,
  input: DocumentInput,
  options: ParseOptions,
): ParsedEvidence {
  if (!isStagedInput(input)) return parseDocumentEvidence(kind, input, options);
  return parseDocumentEvidence(kind, readFileSync(input.path), options);
}
