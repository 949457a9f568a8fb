import { describe, expect, it } from 'vitest';
import { flatText, QUOTE_LIMIT, quote } from './quote.js';

/** `[[[…"x"…]]]`, built iteratively: the shape a hostile document uses. */
function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

describe('quote', () => {
  it('quotes a short string as JSON', () => {
    expect(quote('1.5')).toBe('"1.5"');
    expect(quote('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
  });

  it('flattens newlines and control characters to one line', () => {
    const quoted = quote('a\r\n\tb\u0000c\u007fd\u0085e');
    expect(quoted).toBe('"a b c d e"');
    expect(quoted).not.toMatch(/[\p{Cc}]/u);
  });

  it('bounds a long string and says how long it was', () => {
    const quoted = quote('y'.repeat(1_000_000));
    expect(quoted).toBe(`"${'y'.repeat(QUOTE_LIMIT)}…" (1000000 chars)`);
  });

  it('does not split a surrogate pair at the cut', () => {
    const quoted = quote(`${'a'.repeat(QUOTE_LIMIT - 1)}😀tail`);
    expect(quoted).toBe(`"${'a'.repeat(QUOTE_LIMIT - 1)}…" (${QUOTE_LIMIT + 5} chars)`);
  });

  it('escapes a lone surrogate rather than emitting invalid text', () => {
    expect(quote('\ud800')).toBe('"\\ud800"');
  });

  it('renders primitives literally', () => {
    expect(quote(2)).toBe('2');
    expect(quote(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(quote(true)).toBe('true');
    expect(quote(null)).toBe('null');
    expect(quote(undefined)).toBe('undefined');
  });

  it('describes arrays and objects by type and size without visiting them', () => {
    expect(quote([])).toBe('an array of 0 items');
    expect(quote([1])).toBe('an array of 1 item');
    expect(quote({ a: 1, b: { c: 2 } })).toBe('an object of 2 keys');
    expect(quote(nested(100_000))).toBe('an array of 1 item');
    const deep = JSON.parse(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
    expect(quote(deep)).toBe('an object of 1 key');
  });

  it('honours a smaller limit', () => {
    expect(quote('abcdef', 3)).toBe('"abc…" (6 chars)');
  });
});

describe('flatText', () => {
  it('flattens and bounds without quoting', () => {
    expect(flatText('a\nb')).toBe('a b');
    expect(flatText('abcdef', 3)).toBe('abc…');
  });
});
