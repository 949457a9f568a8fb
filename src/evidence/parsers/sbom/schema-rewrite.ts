/** Stands in for `uniqueItems` in every schema compiled here (see unique-items.ts). */
export const LINEAR_UNIQUE_ITEMS = 'uniqueItemsLinear';
/** Stands in for long all-string `enum`s. */
export const STRING_ENUM = 'stringEnum';

/**
 * Rewrites a (freshly parsed, unshared) schema for linear, fast validation without changing
 * what it accepts: `uniqueItems` becomes the hash-based keyword, long string enums (826 SPDX
 * licence ids, checked by Ajv as a chain of comparisons) become a Set lookup, and known slow
 * patterns are swapped for equivalent ones.
 */
export function optimizeSchema(node: unknown): void {
  const pending: unknown[] = [node];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    if (current === null || typeof current !== 'object') continue;
    if (Array.isArray(current)) {
      for (const item of current) pending.push(item);
      continue;
    }
    const record = current as Record<string, unknown>;
    if ('uniqueItems' in record) {
      if (record.uniqueItems === true) record[LINEAR_UNIQUE_ITEMS] = true;
      delete record.uniqueItems;
    }
    const { enum: values, pattern } = record;
    if (isLongStringList(values)) {
      record[STRING_ENUM] = values;
      delete record.enum;
    }
    if (typeof pattern === 'string' && EQUIVALENT_PATTERNS.has(pattern)) {
      record.pattern = EQUIVALENT_PATTERNS.get(pattern);
    }
    for (const value of Object.values(record)) pending.push(value);
  }
}

const LONG_ENUM = 16;

function isLongStringList(values: unknown): values is string[] {
  return (
    Array.isArray(values) &&
    values.length >= LONG_ENUM &&
    values.every((v) => typeof v === 'string')
  );
}

export const HASH_CONTENT =
  '^[a-fA-F0-9]{32}(?:[a-fA-F0-9]{8}|[a-fA-F0-9]{32}(?:[a-fA-F0-9]{32}){0,2})?$';

/** 1 for the ASCII hexadecimal digits, either case. */
const HEX_DIGIT = Uint8Array.from({ length: 0x80 }, (_, code) =>
  /[0-9a-fA-F]/.test(String.fromCharCode(code)) ? 1 : 0,
);

/**
 * `new RegExp(HASH_CONTENT, 'u').test(value)` as a table lookup per character: irregexp
 * takes ~0.3 µs for 64 hex digits (and range tests mispredict on random digits), this a
 * third of that. An SBOM has a hash or more per component.
 */
export function isHashContent(value: string): boolean {
  const length = value.length;
  if (length !== 32 && length !== 40 && length !== 64 && length !== 96 && length !== 128) {
    return false;
  }
  for (let index = 0; index < length; index += 1) {
    const code = value.charCodeAt(index);
    if (code >= 0x80 || HEX_DIGIT[code] === 0) return false;
  }
  return true;
}

const EQUIVALENT_PATTERNS = new Map([
  // CycloneDX hash content: 32, 40, 64, 96 or 128 hex digits, without re-scanning per length.
  [
    '^([a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128})$',
    HASH_CONTENT,
  ],
]);

/** Patterns that read better as words (and hide the rewrite above). */
export const PATTERN_MEANINGS = new Map([
  [HASH_CONTENT, 'must be 32, 40, 64, 96 or 128 hexadecimal digits'],
]);
