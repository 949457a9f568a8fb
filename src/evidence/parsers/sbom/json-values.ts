import type { Warnings } from './warnings.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What a parser needs besides the document: where its warnings go and how to locate paths. */
export interface ParseContext {
  warnings: Warnings;
  /** Prepended to every JSON pointer (non-empty when the SBOM sits inside an envelope). */
  prefix: string;
}

const UPPER_CASE = /[A-Z]/;

/** Hex digests in lower case. Testing first avoids a new string for the usual lower-case value. */
export function lowerCase(value: string): string {
  return UPPER_CASE.test(value) ? value.toLowerCase() : value;
}
