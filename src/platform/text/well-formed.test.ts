import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../crypto/canonical-json.js';
import { findLoneSurrogate, firstSurrogateEscape, mayHoldLoneSurrogate } from './well-formed.js';

const parsed = (text: string) => ({ text, value: JSON.parse(text) as unknown });
const verdict = (text: string) => {
  const { value } = parsed(text);
  return mayHoldLoneSurrogate(text) ? findLoneSurrogate(value) : null;
};

describe('lone surrogates in parsed JSON', () => {
  it('names the first lone surrogate by JSON pointer, in keys and values alike', () => {
    expect(verdict('{"a":[1,{"b~/c":"x\\ud800"}]}')).toBe('/a/1/b~0~1c');
    expect(verdict('{"ok":"fine","\\udc00":1}')).toBe('/\udc00');
    expect(verdict('"\\ud800"')).toBe('');
    expect(verdict('["\\ude00\\ud83d"]')).toBe('/0');
  });

  it('accepts a surrogate pair, and a backslash that only looks like an escape', () => {
    expect(verdict('{"emoji":"\\ud83d\\ude00"}')).toBeNull();
    expect(verdict('{"path":"C:\\\\ud800"}')).toBeNull();
    expect(mayHoldLoneSurrogate('{"path":"C:\\\\ud800"}')).toBe(true);
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}"\\ud800"${']'.repeat(100_000)}`;
    expect(findLoneSurrogate(JSON.parse(deep))).toBe('/0'.repeat(100_000));
  });

  it('locates the first surrogate escape in the text', () => {
    expect(firstSurrogateEscape('{"a":"\\uD800"}')).toBe(6);
    expect(firstSurrogateEscape('{}')).toBe(0);
  });

  it('finds nothing exactly when canonical JSON accepts the value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary' }), (value, s) => {
        const withString = { value, s };
        let canonical = true;
        try {
          canonicalJson(withString);
        } catch {
          canonical = false;
        }
        expect(findLoneSurrogate(withString) === null).toBe(canonical);
      }),
    );
  });
});
