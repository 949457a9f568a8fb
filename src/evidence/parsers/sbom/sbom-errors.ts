import type { ErrorObject } from 'ajv';
import { InvalidDocumentError, type ProblemDetail } from '../../../platform/errors.js';
import { describeSchemaError } from './schema-errors.js';

/**
 * Stable machine-readable reasons carried by the InvalidDocumentError this parser throws
 * (the same vocabulary as the other evidence parsers; `invalid_json` comes from
 * parseJsonDocument).
 */
export type SbomRejection =
  | 'unsupported_format'
  | 'unknown_format'
  | 'wrong_kind'
  | 'format_mismatch'
  | 'unsupported_version'
  | 'invalid_structure';

/** Throws with a top-level message that names the first problem's path. */
export function reject(what: string, problems: ProblemDetail[], reason: SbomRejection): never {
  // Every caller passes at least one problem (Ajv reports at least one error on failure).
  const first = problems[0] as ProblemDetail;
  const where = first.path === '' ? 'the document root' : first.path;
  throw new InvalidDocumentError(
    `${what} is invalid at ${where}: ${first.message}`,
    problems,
    reason,
  );
}

/** Throws for a document that is not (this kind of) SBOM at all: the message says what it is. */
export function refuse(message: string, problem: ProblemDetail, reason: SbomRejection): never {
  throw new InvalidDocumentError(message, [problem], reason);
}

/**
 * Runs a compiled schema and rejects with located problems when the document fails it.
 * `relocate` adjusts each error first (the streaming parser validates a stand-in document
 * whose array items sit at other indexes than in the upload).
 */
export function validateOrReject(
  validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null },
  document: unknown,
  what: string,
  prefix: string,
  relocate: (error: ErrorObject) => ErrorObject = (error) => error,
): void {
  let valid: boolean;
  try {
    valid = validate(document);
  } catch (error) {
    // Compiled validators recurse once per nesting level; JSON.parse does not, so a
    // pathologically nested upload surfaces here rather than as a crash.
    if (error instanceof RangeError) {
      reject(
        what,
        [{ path: prefix, message: 'the document is nested too deeply to validate' }],
        'invalid_structure',
      );
    }
    throw error;
  }
  if (!valid) {
    const problems = (validate.errors as ErrorObject[]).map((error) =>
      describeSchemaError(relocate(error), prefix),
    );
    reject(what, problems, 'invalid_structure');
  }
}
