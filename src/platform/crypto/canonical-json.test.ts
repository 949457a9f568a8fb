import { describe, expect, it } from 'vitest';
import { canonicalDigest, canonicalJson, sha256Hex } from './canonical-json.js';

describe('canonicalJson (RFC 8785)', () => {
  it('matches the RFC 8785 examples for numbers, strings and key order', () => {
    expect(
      canonicalJson({
        // biome-ignore lint/correctness/noPrecisionLoss: the RFC example is about exactly this literal
        numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
        literals: [null, true, false],
      }),
    ).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '1': 3, '\u00f6': 4 })).toBe(
      '{"\\r":2,"1":3,"ö":4,"€":1}',
    );
  });

  it('refuses values with no JSON form', () => {
    expect(() => canonicalJson(undefined)).toThrow(/no JSON representation/);
  });

  it('digests the canonical form, so key order does not matter', () => {
    expect(canonicalDigest({ a: 1, b: 2 })).toBe(canonicalDigest({ b: 2, a: 1 }));
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
