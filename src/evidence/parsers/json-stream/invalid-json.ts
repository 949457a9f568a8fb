import { InvalidDocumentError } from '../../../platform/errors.js';
import type { JsonSplitError } from './json-split-error.js';
import { textPositionOf } from './text-position.js';

/**
 * The error parseJsonDocument gives for a syntax error (`invalid_json`, naming the line and
 * column), for a document read in chunks: `read` gives a fresh pass to locate the offset.
 */
export function invalidJson(
  what: string,
  error: JsonSplitError,
  read: () => Iterable<Uint8Array>,
): InvalidDocumentError {
  const { line, column, position } = textPositionOf(read(), error.offset);
  const message = `${error.message} at position ${position}`;
  return new InvalidDocumentError(
    `The ${what} is not valid JSON (line ${line}, column ${column}): ${message}`,
    [{ path: `line ${line}`, message }],
    'invalid_json',
  );
}
