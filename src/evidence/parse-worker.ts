import { parentPort } from 'node:worker_threads';
import { DomainError } from '../platform/errors.js';
import type { DocumentKind, ParsedEvidence, ParseOptions } from './parse-evidence.js';
import { type DocumentInput, parseDocumentInput } from './parse-file.js';

export interface ParseRequest {
  id: number;
  kind: DocumentKind;
  input: DocumentInput;
  options: ParseOptions;
}

/**
 * The summary crosses as JSON bytes in a transferred buffer: cloning a 77k-component summary
 * object would build a second copy of it on each side, and the service stores it as JSON anyway.
 */
export type ParsedOnWorker = Omit<ParsedEvidence, 'summary' | 'summaryJson'> & {
  summaryJson: Uint8Array;
};

export type ParseResponse =
  | { id: number; ok: true; value: ParsedOnWorker }
  | {
      id: number;
      ok: false;
      error: { domain: boolean; kind?: string; message: string; errors?: unknown; reason?: string };
    };

function errorResponse(id: number, error: unknown): ParseResponse {
  return error instanceof DomainError
    ? {
        id,
        ok: false,
        error: {
          domain: true,
          kind: error.kind,
          message: error.message,
          errors: error.errors,
          reason: error.reason,
        },
      }
    : {
        id,
        ok: false,
        error: { domain: false, message: String((error as Error)?.message ?? error) },
      };
}

/** Runs the pure parsers off the main thread; errors cross back as plain data. */
parentPort?.on('message', (request: ParseRequest) => {
  let response: ParseResponse;
  try {
    const { summary, ...rest } = parseDocumentInput(request.kind, request.input, request.options);
    const summaryJson = Buffer.from(JSON.stringify(summary));
    // A pooled Buffer shares its ArrayBuffer with others and cannot be transferred.
    const own =
      summaryJson.byteOffset === 0 && summaryJson.buffer.byteLength === summaryJson.length;
    response = {
      id: request.id,
      ok: true,
      value: { ...rest, summaryJson: own ? summaryJson : new Uint8Array(summaryJson) },
    };
  } catch (error) {
    response = errorResponse(request.id, error);
  }
  const transfer = response.ok ? [response.value.summaryJson.buffer as ArrayBuffer] : [];
  parentPort?.postMessage(response, transfer);
});
