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

export type ParseResponse =
  | { id: number; ok: true; value: ParsedEvidence }
  | {
      id: number;
      ok: false;
      error: { domain: boolean; kind?: string; message: string; errors?: unknown; reason?: string };
    };

/** Runs the pure parsers off the main thread; errors cross back as plain data. */
parentPort?.on('message', (request: ParseRequest) => {
  let response: ParseResponse;
  try {
    response = {
      id: request.id,
      ok: true,
      value: parseDocumentInput(request.kind, request.input, request.options),
    };
  } catch (error) {
    response =
      error instanceof DomainError
        ? {
            id: request.id,
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
            id: request.id,
            ok: false,
            error: { domain: false, message: String((error as Error)?.message ?? error) },
          };
  }
  parentPort?.postMessage(response);
});
