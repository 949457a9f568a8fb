import { InvalidDocumentError, type ProblemDetail } from '../../../platform/errors.js';
import { quote } from '../../../platform/text/quote.js';
import { jsonPointer } from '../json-document.js';

export type JsonRecord = Record<string, unknown>;
export type PathSegments = ReadonlyArray<string | number>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty trimmed string, or null: tools emit `""` for "no value" (Grype's empty purl). */
export function nonEmptyString(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** The array at `key`, or an empty one when absent or null; anything else is a located problem. */
export function arrayAt(
  record: JsonRecord,
  key: string,
  path: PathSegments,
  problems: Problems,
): unknown[] {
  const value = record[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add([...path, key], `must be an array, got ${describe(value)}`);
    return [];
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${quote(value)}`;
}

/**
 * Collects located problems so one response names every structural error (up to a cap that
 * keeps a hostile document from producing a multi-megabyte error body).
 */
export class Problems {
  static readonly LIMIT = 100;
  readonly list: ProblemDetail[] = [];
  private dropped = 0;

  add(path: PathSegments | string, message: string): void {
    if (this.list.length >= Problems.LIMIT) {
      this.dropped += 1;
      return;
    }
    this.list.push({ path: typeof path === 'string' ? path : jsonPointer(path), message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  throwIfAny(message: string, reason = 'invalid_structure'): void {
    if (this.empty) return;
    const more = this.dropped > 0 ? ` (${this.dropped} further problems not listed)` : '';
    throw new InvalidDocumentError(`${message}${more}`, this.list, reason);
  }
}

/** Throws at once for a single located problem (detection and kind errors). */
export function fail(message: string, path: string, detail: string, reason: string): never {
  throw new InvalidDocumentError(message, [{ path, message: detail }], reason);
}
