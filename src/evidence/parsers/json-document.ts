import { InvalidDocumentError } from '../../platform/errors.js';
import {
  findLoneSurrogate,
  LONE_SURROGATE_MESSAGE,
  mayHoldLoneSurrogate,
} from '../../platform/text/well-formed.js';

/**
 * Decodes and parses a JSON document, turning a syntax error into an InvalidDocumentError
 * that names the line and column, so a truncated upload gets an actionable answer.
 */
export function parseJsonDocument(bytes: Uint8Array | string, what = 'document'): unknown {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw new InvalidDocumentError(`The ${what} is empty.`, [{ path: '', message: 'empty body' }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : body.length;
    const before = body.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    throw new InvalidDocumentError(
      `The ${what} is not valid JSON (line ${line}, column ${column}): ${message}`,
      [{ path: `line ${line}`, message }],
      'invalid_json',
    );
  }
  const lone = mayHoldLoneSurrogate(body) ? findLoneSurrogate(value) : null;
  if (lone !== null) {
    throw new InvalidDocumentError(
      `The ${what} is refused: at ${lone || '/'}, ${LONE_SURROGATE_MESSAGE}.`,
      [{ path: lone, message: LONE_SURROGATE_MESSAGE }],
      'invalid_unicode',
    );
  }
  return value;
}

/** RFC 6901 JSON pointer for a path of keys and indexes. */
export function jsonPointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
