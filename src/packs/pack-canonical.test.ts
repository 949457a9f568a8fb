import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  canonicalMembers,
  joinCanonicalMembers,
  sameJsonValue,
} from '../platform/crypto/canonical-json.js';
import { packBodyFixture } from './bundle-test-fixture.js';
import { packStatement, packStatementText } from './dsse.js';
import { contentDigest, contentDigestOfMembers } from './pack-builder.js';

describe('one canonicalization of the body serves every text generate needs', () => {
  const body = packBodyFixture();
  const members = canonicalMembers(body);
  const text = joinCanonicalMembers(members);

  it('joins members into canonicalJson of the body, statement and facts', () => {
    expect(text).toBe(canonicalJson(body));
    expect(packStatementText(body, text)).toBe(canonicalJson(packStatement(body)));
    expect(contentDigestOfMembers(body, members)).toBe(contentDigest(body));
  });

  it('sameJsonValue agrees with comparing canonical texts', () => {
    const parsed = JSON.parse(text);
    expect(sameJsonValue(parsed, JSON.parse(text))).toBe(true);
    const changed = JSON.parse(text);
    changed.risk.score += 1;
    expect(sameJsonValue(parsed, changed)).toBe(false);
    expect(sameJsonValue({ a: 1, b: [2, { c: 3 }] }, { b: [2, { c: 3 }], a: 1 })).toBe(true);
    expect(sameJsonValue({ a: [1, { b: 2 }] }, { a: [1, { b: 2, c: 3 }] })).toBe(false);
    expect(sameJsonValue({ a: null }, { b: null })).toBe(false);
    expect(sameJsonValue([], {})).toBe(false);
    expect(sameJsonValue([1, 2], [2, 1])).toBe(false);
  });
});
