import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, findDuplicate } from './unique-items.js';

function naiveDuplicate(items: readonly unknown[]): [number, number] | null {
  for (let j = 1; j < items.length; j += 1) {
    for (let i = 0; i < j; i += 1) {
      if (isDeepStrictEqual(items[i], items[j])) return [i, j];
    }
  }
  return null;
}

describe('findDuplicate', () => {
  it.each([
    [[1, '1', true, 'true', null, 'null'], null],
    [
      [{ a: false }, { a: true }, { a: false }],
      [0, 2],
    ],
    [
      ['a', 'b', 'a'],
      [0, 2],
    ],
    [
      [
        { a: 1, b: [1, 2] },
        { b: [1, 2], a: 1 },
      ],
      [0, 1],
    ],
    [
      [{ a: { x: 1 } }, { a: { x: 2 } }, { a: { x: 1 } }],
      [0, 2],
    ],
    [
      [
        [1, 2],
        [2, 1],
        [1, 2],
      ],
      [0, 2],
    ],
    [[{ a: 1 }, { a: 1, b: undefined }], null],
    [
      [{}, [], {}],
      [0, 2],
    ],
  ])('finds the first duplicate in %j', (items, expected) => {
    expect(findDuplicate(items)).toEqual(expected);
    // Long arrays take the hashing path instead of the pairwise one.
    const fillers = Array.from({ length: 12 }, (_, filler) => ({ filler }));
    expect(findDuplicate([...items, ...fillers])).toEqual(expected);
  });

  it('agrees with a pairwise deep comparison', () => {
    const member = fc.oneof(
      fc.constantFrom('a', 'b', 1, 2, true, null),
      fc.array(fc.constantFrom(1, 2), { maxLength: 2 }),
    );
    const item = fc.oneof(
      member,
      fc.dictionary(
        fc.constantFrom('x', 'y', 'z'),
        fc.oneof(member, fc.dictionary(fc.constantFrom('p', 'q'), member)),
      ),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 30 }), (items) => {
        // JSON round trip: the validator only ever sees parsed JSON.
        const json = JSON.parse(JSON.stringify(items)) as unknown[];
        const found = findDuplicate(json);
        const naive = naiveDuplicate(json);
        expect(found === null).toBe(naive === null);
        if (found !== null) {
          expect(found[1]).toBe(naive?.[1]);
          expect(isDeepStrictEqual(json[found[0]], json[found[1]])).toBe(true);
        }
      }),
    );
  });

  it('agrees with a pairwise deep comparison on objects identified by bom-ref or ref', () => {
    const identity = fc.oneof(fc.constantFrom('a', 'b', 'pkg:npm/a@1'), fc.constantFrom(1, null));
    const item = fc.dictionary(
      fc.constantFrom('bom-ref', 'ref', 'name', 'dependsOn'),
      fc.oneof(identity, fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 })),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 9, maxLength: 30 }), (items) => {
        const json = JSON.parse(JSON.stringify(items)) as unknown[];
        const found = findDuplicate(json);
        const naive = naiveDuplicate(json);
        expect(found === null).toBe(naive === null);
        if (found !== null) expect(found[1]).toBe(naive?.[1]);
      }),
    );
  });

  it('compares items that share a bom-ref (or a hash) in full', () => {
    const fillers = Array.from({ length: 12 }, (_, filler) => ({ filler }));
    const sameRef = (version: string) => ({ 'bom-ref': 'pkg:npm/a', version });
    expect(findDuplicate([...fillers, sameRef('1'), sameRef('2'), sameRef('3')])).toBeNull();
    expect(findDuplicate([...fillers, sameRef('1'), sameRef('2'), sameRef('1')])).toEqual([12, 14]);
    // Key order does not matter, and an `a`/`b` swap sums to the same member hashes.
    expect(findDuplicate([...fillers, { a: 'x', b: 'y' }, { a: 'y', b: 'x' }])).toBeNull();
    expect(findDuplicate([...fillers, { a: 'x', b: 'y' }, { b: 'y', a: 'x' }])).toEqual([12, 13]);
  });

  it('hashes every kind of member, and compares short arrays pairwise', () => {
    const fillers = Array.from({ length: 12 }, (_, filler) => ({ filler }));
    const members = { s: 'x', n: 1.5, t: true, f: false, z: null, a: [1], o: { p: 1 } };
    expect(findDuplicate([...fillers, members, { ...members, n: 2 }])).toBeNull();
    expect(findDuplicate([...fillers, members, { ...members }])).toEqual([12, 13]);
    expect(findDuplicate([...fillers, { ref: 'a', n: 1 }, { ref: 'a', n: 1 }])).toEqual([12, 13]);
    expect(findDuplicate([[1], [1, 2], [1]])).toEqual([0, 2]);
  });

  it('tells long strings apart that differ only in the middle', () => {
    // Debian purls share a long tail; strings over 64 characters hash by their ends only.
    const purls = Array.from(
      { length: 20 },
      (_, i) => `pkg:deb/debian/lib${i}@1.0-1?arch=amd64&distro=debian-12&epoch=0&more=qualifiers`,
    );
    expect(findDuplicate(purls.map((purl) => ({ purl })))).toBeNull();
    expect(findDuplicate([...purls, purls[3]].map((purl) => ({ purl })))).toEqual([3, 20]);
    const long = `${'x'.repeat(40)}${'y'.repeat(40)}`;
    expect(
      findDuplicate([...purls.map((purl) => ({ purl })), { purl: long }, { purl: long }]),
    ).toEqual([20, 21]);
  });

  it('stays linear on many distinct objects', () => {
    const items = Array.from({ length: 50_000 }, (_, i) => ({
      type: 'library',
      name: `c${i}`,
      version: '1.0.0',
    }));
    const started = performance.now();
    expect(findDuplicate(items)).toBeNull();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });
});
