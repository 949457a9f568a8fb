import { createHash } from 'node:crypto';
import { bucketOf, canonicalJson, isContainer } from './unique-items.js';

/** Index pair [first, duplicate], as findDuplicate (unique-items.ts) gives it. */
export type Duplicate = [number, number];

/** A repeated item: where, and the item itself (deep-equal at both indexes). */
export interface Repeated {
  at: Duplicate;
  item: unknown;
}

/** Gives some items again: `visit` each wanted index in order, until it returns true. */
export type ItemsAgain = (
  wanted: ReadonlySet<number>,
  visit: (index: number, item: unknown) => boolean,
) => void;

/**
 * findDuplicate for an array seen one item at a time, never holding past items: scalars are
 * kept by value (they are small, and a valid `components` or `dependencies` has none), objects
 * by bucket only (their `bom-ref` / `ref` string, or a hash of their members; see
 * unique-items.ts). Items that land in an occupied bucket are only noted: whether they
 * repeat an earlier item is settled afterwards by a second look at just those items
 * (`settle`). Deep-equal items always share a bucket, so nothing else can be a duplicate.
 */
export class StreamUniqueItems {
  #scalars: Map<unknown, number> | undefined;
  #scalarDuplicate: Repeated | null = null;
  /** Bucket → index of its first item. */
  readonly #firsts = new Map<string | number, number>();
  /** Bucket → indexes of all its items, for the buckets holding more than one. */
  #shared: Map<string | number, number[]> | undefined;

  add(index: number, item: unknown): void {
    if (!isContainer(item)) {
      if (this.#scalarDuplicate !== null) return;
      this.#scalars ??= new Map();
      const previous = this.#scalars.get(item);
      if (previous === undefined) {
        this.#scalars.set(item, index);
      } else {
        this.#scalarDuplicate = { at: [previous, index], item };
      }
      return;
    }
    const key = bucketOf(item);
    const first = this.#firsts.get(key);
    if (first === undefined) {
      this.#firsts.set(key, index);
      return;
    }
    this.#shared ??= new Map();
    const indexes = this.#shared.get(key);
    if (indexes === undefined) {
      this.#shared.set(key, [first, index]);
    } else {
      indexes.push(index);
    }
  }

  /** Whether some items shared a bucket, so that settling needs them again. */
  get unsettled(): boolean {
    return this.#shared !== undefined;
  }

  /**
   * The first repeated item, as findDuplicate would report it for the whole array. `items`
   * is only called when items shared a bucket, to have just those parsed again.
   */
  settle(items: ItemsAgain): Repeated | null {
    const shared = this.#shared;
    const objectDuplicate = shared === undefined ? null : settleShared(shared, items);
    const scalar = this.#scalarDuplicate;
    if (objectDuplicate === null) return scalar;
    if (scalar === null) return objectDuplicate;
    // Whichever repeats first in the array is the one findDuplicate meets first.
    return scalar.at[1] < objectDuplicate.at[1] ? scalar : objectDuplicate;
  }
}

function settleShared(shared: Map<string | number, number[]>, items: ItemsAgain): Repeated | null {
  const bucketOfIndex = new Map<number, string | number>();
  for (const [key, indexes] of shared) for (const index of indexes) bucketOfIndex.set(index, key);
  // Per bucket: digest of an item's canonical JSON → its first index. A digest rather than
  // the JSON itself keeps this small however many items collide.
  const seen = new Map<string | number, Map<string, number>>();
  let found: Repeated | null = null;
  items(new Set(bucketOfIndex.keys()), (index, item) => {
    const key = bucketOfIndex.get(index) as string | number;
    let forms = seen.get(key);
    if (forms === undefined) {
      forms = new Map();
      seen.set(key, forms);
    }
    const form = createHash('sha256').update(canonicalJson(item)).digest('base64');
    const previous = forms.get(form);
    if (previous !== undefined) {
      found = { at: [previous, index], item };
      return true;
    }
    forms.set(form, index);
    return false;
  });
  return found;
}
