import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import {
  type DocumentKind,
  type ParsedEvidence,
  type ParseOptions,
  parseDocumentEvidence,
} from './parse-evidence.js';
import { parseSbomStream, type SbomFormat } from './parsers/sbom/index.js';

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
 * for large ones). A CycloneDX or SPDX SBOM is parsed as it is read, one item at a time; every
 * other document (and an SBOM the streaming parsers decline: DSSE, unknown formats) is read whole.
 */
export function parseDocumentInput(
  kind: DocumentKind,
  input: DocumentInput,
  options: ParseOptions,
): ParsedEvidence {
  if (!isStagedInput(input)) return parseDocumentEvidence(kind, input, options);
  if (kind === 'sbom') {
    const { path } = input;
    const streamed = parseSbomStream(() => fileChunks(path), {
      format: options.format as SbomFormat | undefined,
    });
    if (streamed !== null) return { ...streamed, stage: null };
  }
  return parseDocumentEvidence(kind, readFileSync(input.path), options);
}

/** A staged file's bytes in order, through one reused buffer (the consumer copies what it keeps). */
export function* fileChunks(path: string, chunkBytes = 1024 * 1024): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      yield buffer.subarray(0, read);
    }
  } finally {
    closeSync(fd);
  }
}
