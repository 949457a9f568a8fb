import { parentPort } from 'node:worker_threads';
import { DomainError } from '../platform/errors.js';
import { type DocumentKind, type ParseOptions, parseDocumentEvidence } from './parse-evidence.js';

export interface ParseRequest {
  id: number;
  kind: DocumentKind;
  bytes: Uint8Array;
  options: ParseOptions;
}

export type ParseResponse =
  | { id: number; ok: true; value: ReturnType<typeof parseDocumentEvidence> }
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
      value: parseDocumentEvidence(request.kind, request.bytes, request.options),
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
