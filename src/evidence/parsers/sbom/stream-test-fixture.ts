import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseSbom } from './index.js';
import type { ReadDocument } from './stream-pass.js';
import type { ParsedSbom, ParseSbomOptions } from './types.js';

/*
 * What the streaming parsers' tests share: feeding a document in chunks, and expecting a
 * streaming parser to answer exactly as parseSbom does on the whole document.
 */

export type Json = Record<string, unknown>;
export type Outcome = { parsed: ParsedSbom | null } | { error: InvalidDocumentError };
export type StreamParser = (read: ReadDocument, options?: ParseSbomOptions) => ParsedSbom | null;

export const corpus = path.resolve(process.cwd(), '../shared/corpus');
export const fixtures = path.resolve(process.cwd(), 'src/evidence/parsers/sbom/fixtures');

export function outcomeOf(run: () => ParsedSbom | null): Outcome {
  try {
    return { parsed: run() };
  } catch (error) {
    if (error instanceof InvalidDocumentError) return { error };
    throw error;
  }
}

/** A fresh pass over `bytes` in chunks of `size`, through one reused buffer like a file read. */
export function chunked(bytes: Uint8Array, size: number): ReadDocument {
  return function* () {
    const buffer = new Uint8Array(size);
    for (let at = 0; at < bytes.length; at += size) {
      const piece = bytes.subarray(at, at + size);
      buffer.set(piece);
      yield buffer.subarray(0, piece.length);
      // Whatever the parser kept of the chunk must have been copied.
      buffer.fill(0x20);
    }
  };
}

/** Byte by byte only while that is quick. */
export function chunkSizesFor(bytes: Uint8Array): number[] {
  return bytes.length <= 40_000 ? [1, 7, 64 * 1024] : [7, 4096, 64 * 1024];
}

export function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return jsonFiles(file);
    return /\.jsonl?$/.test(name) ? [file] : [];
  });
}

/** The same members in another order (the ones not named keep theirs, after the named). */
export function reordered(document: Json, first: string[]): Json {
  const out: Json = {};
  for (const key of first) if (key in document) out[key] = document[key];
  for (const [key, value] of Object.entries(document)) if (!(key in out)) out[key] = value;
  return out;
}

/** The equivalence expectations for one streaming parser, counting the comparisons made. */
export function streamEquivalence(defaultParser: StreamParser) {
  let comparisons = 0;

  /**
   * Expects the streaming parser to answer as parseSbom does for every chunk size: the same
   * ParsedSbom, or an InvalidDocumentError with the same reason, message and problems (for a
   * syntax error: the same reason, and the same line and column where V8 names a position).
   * Returns parseSbom's answer, or 'fallback' when the streaming parser declined the document
   * (then it must have declined it at every chunk size).
   */
  function expectSameAsWhole(
    document: Uint8Array | string,
    options?: ParseSbomOptions,
    sizes?: number[],
    parser: StreamParser = defaultParser,
  ): ParsedSbom | InvalidDocumentError | 'fallback' {
    const bytes = typeof document === 'string' ? Buffer.from(document) : document;
    const whole = outcomeOf(() => parseSbom(bytes, options));
    const answers = (sizes ?? chunkSizesFor(bytes)).map((size) =>
      outcomeOf(() => parser(chunked(bytes, size), options)),
    );
    comparisons += answers.length;
    const declined = answers.filter((answer) => 'parsed' in answer && answer.parsed === null);
    if (declined.length > 0) {
      expect(declined).toHaveLength(answers.length);
      return 'fallback';
    }
    for (const answer of answers) {
      if ('parsed' in whole) {
        expect(answer).toEqual(whole);
        continue;
      }
      expect(answer).toHaveProperty('error');
      const { error } = answer as { error: InvalidDocumentError };
      expect(error.reason).toBe(whole.error.reason);
      if (error.reason === 'invalid_json') {
        expect(error.errors).toHaveLength(1);
        expect(error.errors[0]?.path).toMatch(/^line \d+$/);
        expect(error.message).toMatch(/^The SBOM is not valid JSON \(line \d+, column \d+\): /);
        if (/position \d+/.test(whole.error.message)) {
          const where = (message: string) => message.slice(0, message.indexOf(')'));
          expect(where(error.message)).toBe(where(whole.error.message));
        }
      } else {
        expect(error.message).toBe(whole.error.message);
        expect(error.errors).toEqual(whole.error.errors);
      }
    }
    return 'parsed' in whole ? (whole.parsed as ParsedSbom) : whole.error;
  }

  function expectRejected(
    document: Uint8Array | string,
    reason: string,
    options?: ParseSbomOptions,
  ): InvalidDocumentError {
    const answer = expectSameAsWhole(document, options);
    expect(answer).toBeInstanceOf(InvalidDocumentError);
    expect((answer as InvalidDocumentError).reason).toBe(reason);
    return answer as InvalidDocumentError;
  }

  function expectParsed(document: Uint8Array | string, options?: ParseSbomOptions): ParsedSbom {
    const answer = expectSameAsWhole(document, options);
    expect(answer).not.toBe('fallback');
    expect(answer).not.toBeInstanceOf(InvalidDocumentError);
    return answer as ParsedSbom;
  }

  return { expectSameAsWhole, expectRejected, expectParsed, comparisons: () => comparisons };
}
