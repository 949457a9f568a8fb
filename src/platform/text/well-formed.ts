/**
 * Strings that are not well-formed UTF-16 (a lone surrogate such as "\ud800"): JSON.parse
 * accepts them, but RFC 8785 canonical JSON — what the audit chain and pack digests hash —
 * refuses them, as I-JSON (RFC 7493) does. Input is checked where it is parsed, so such a
 * value is refused with its location instead of failing later when something is hashed.
 */

/** Cheap pre-check on the raw text: a lone surrogate can only arrive as a `\u` escape. */
export function mayHoldLoneSurrogate(text: string): boolean {
  return /\\u[dD][89a-fA-F]/.test(text);
}

/**
 * The JSON pointer of the first key or string value in `value` that is not well-formed, or
 * null. Iterative, so a deeply nested value cannot overflow the stack.
 */
export function findLoneSurrogate(value: unknown): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: at, path } = stack.pop()!;
    if (typeof at === 'string') {
      if (!at.isWellFormed()) return path;
    } else if (Array.isArray(at)) {
      for (let i = at.length - 1; i >= 0; i -= 1)
        stack.push({ value: at[i], path: `${path}/${i}` });
    } else if (at !== null && typeof at === 'object') {
      const keys = Object.keys(at);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i]!;
        const child = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (!key.isWellFormed()) return child;
        stack.push({ value: (at as Record<string, unknown>)[key], path: child });
      }
    }
  }
  return null;
}

/** Where, in UTF-16 units of `text`, the first surrogate escape is (to locate a refusal). */
export function firstSurrogateEscape(text: string): number {
  return Math.max(0, text.search(/\\u[dD][89a-fA-F]/));
}

export const LONE_SURROGATE_MESSAGE =
  'a string holds a lone surrogate (an unpaired \\uD800–\\uDFFF escape): not valid Unicode';
