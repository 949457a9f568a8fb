/**
 * Renders an untrusted value for an error message: bounded, on one line, and without ever
 * walking into it. A document can put anything where a string belongs (a 5,000-level nested
 * array, a megabyte of text, a newline that forges a log line), and the message that refuses
 * it must not overflow the stack, echo the payload back, or break the line it is printed on.
 */

/** The most characters of a quoted string that an error message shows. */
export const QUOTE_LIMIT = 80;

/** Whitespace runs and control characters (C0, DEL, C1) become one space. */
const NOT_FLAT = /[\s\p{Cc}]+/gu;

/**
 * `"text"` for a string (JSON-escaped, flattened, cut at `limit` characters with an ellipsis
 * and the original length), the literal for a number, boolean, null or undefined, and only
 * the type and size for an array or object: their contents are never visited, so the depth
 * of a hostile value cannot matter.
 */
export function quote(value: unknown, limit: number = QUOTE_LIMIT): string {
  switch (typeof value) {
    case 'string':
      return quoteString(value, limit);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${plural(value.length, 'item')}`;
  return `an object of ${plural(countKeys(value as object), 'key')}`;
}

function quoteString(text: string, limit: number): string {
  const flat = flatText(text, limit);
  // JSON.stringify escapes quotes, backslashes and lone surrogates: the result is one line.
  return text.length > limit
    ? `${JSON.stringify(flat)} (${text.length} chars)`
    : JSON.stringify(flat);
}

/**
 * Untrusted text (a library's message that may embed the value) as one bounded line,
 * unquoted: at most `limit` characters and an ellipsis.
 */
export function flatText(text: string, limit: number = QUOTE_LIMIT): string {
  // Cut before flattening so a huge string costs only `limit` characters of work.
  const cut = text.length > limit;
  const flat = (cut ? cutAt(text, limit) : text).replace(NOT_FLAT, ' ');
  return cut ? `${flat}…` : flat;
}

/** The first `limit` UTF-16 units, without splitting a surrogate pair. */
function cutAt(text: string, limit: number): string {
  const last = text.charCodeAt(limit - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit);
}

/** Own enumerable keys, counted without building an array of a huge object's keys. */
function countKeys(value: object): number {
  let n = 0;
  for (const key in value) {
    if (Object.hasOwn(value, key)) n += 1;
  }
  return n;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
