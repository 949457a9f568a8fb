import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamUniqueItems } from './stream-unique-items.js';
import { findDuplicate } from './unique-items.js';

/** StreamUniqueItems fed `items` one by one, settled from the same array; reads counted. */
function streamDuplicate(items: unknown[]): { at: [number, number] | null; reads: number } {
  const unique = new StreamUniqueItems();
  items.forEach((item, index) => {
    unique.add(index, structuredClone(item));
  });
  let reads = 0;
  const repeated = unique.settle((wanted, visit) => {
    reads += 1;
    for (const index of [...wanted].sort((a, b) => a - b)) {
      if (visit(index, structuredClone(items[index]))) return;
    }
  });
  if (repeated !== null) expect(repeated.item).toEqual(items[repeated.at[1]]);
  return { at: repeated?.at ?? null, reads };
}

describe('StreamUniqueItems', () => {
  it('finds what findDuplicate finds, on arrays of every kind of item', () => {
    const item = fc.oneof(
      fc.constantFrom(1, 2, 'a', null, true),
      fc.record({ 'bom-ref': fc.constantFrom('a', 'b', 'c'), name: fc.constantFrom('x', 'y') }),
      fc.record({
        ref: fc.constantFrom('a', 'b'),
        dependsOn: fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 }),
      }),
      fc.record(
        { name: fc.constantFrom('x', 'y'), n: fc.constantFrom(1, 2) },
        { requiredKeys: [] },
      ),
      fc.array(fc.constantFrom(1, 2), { maxLength: 2 }),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 24 }), (items) => {
        expect(streamDuplicate(items).at).toEqual(findDuplicate(items));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads nothing again when no two items share a bucket', () => {
    const items = Array.from({ length: 50 }, (_, index) => ({ 'bom-ref': `c${index}`, n: index }));
    expect(streamDuplicate([...items, 3, 4, 3])).toEqual({ at: [50, 52], reads: 0 });
  });

  it('takes the scalar repeat when it comes first, and the object repeat otherwise', () => {
    const object = { 'bom-ref': 'a' };
    expect(streamDuplicate([1, object, 1, object]).at).toEqual([0, 2]);
    expect(streamDuplicate([object, 1, object, 1]).at).toEqual([0, 2]);
    expect(streamDuplicate([object, { 'bom-ref': 'a', x: 1 }, 1, 1]).at).toEqual([2, 3]);
  });
});
