import type { ErrorObject } from 'ajv';
import { describe } from './cyclonedx.js';
import {
  type CycloneDxVersion,
  cycloneDxValidator,
  type StreamedArray,
} from './cyclonedx-schema.js';
import type { JsonObject } from './json-values.js';
import { validateOrReject } from './sbom-errors.js';
import { LINEAR_UNIQUE_ITEMS } from './schema-rewrite.js';
import type { Duplicate, Repeated } from './stream-unique-items.js';

/** What the streaming parser found wrong in one streamed array (an item is kept for each). */
export interface ArrayProblems {
  array: StreamedArray;
  /** The first item that failed its definition, with its index. */
  invalid: [number, unknown] | undefined;
  /** The first repeated item, as findDuplicate reports it. */
  duplicate: Repeated | undefined;
}

/**
 * Validates the document as the whole-document parser would, from its shell (every member
 * but the streamed arrays, which are `[]` there) and the few items that failed: each streamed
 * array is stood in for by just those items, in document order. The first invalid item is
 * the one Ajv stops at in the whole array, the first repeated pair the one its uniqueness
 * keyword reports, so Ajv picks the same first error among shell and items as on the whole
 * document; errors are then moved back to the items' real indexes.
 *
 * @throws InvalidDocumentError when the document is invalid; returns when it is not.
 */
export function validateWithStandIns(
  version: CycloneDxVersion,
  shell: JsonObject,
  problems: readonly ArrayProblems[],
): void {
  const positions = new Map<string, number[]>();
  for (const { array, invalid, duplicate } of problems) {
    const items = new Map<number, unknown>();
    if (duplicate !== undefined) {
      for (const index of duplicate.at) items.set(index, duplicate.item);
    }
    if (invalid !== undefined) items.set(invalid[0], invalid[1]);
    if (items.size === 0) continue;
    const order = [...items.keys()].sort((a, b) => a - b);
    shell[array] = order.map((index) => items.get(index));
    positions.set(array, order);
  }
  validateOrReject(cycloneDxValidator(version), shell, describe(version), '', (error) =>
    relocate(error, positions),
  );
}

const ITEM_PATH = /^\/(components|dependencies)\/(\d+)(?=\/|$)/;

/** An error on the stand-in document, moved to the real indexes of the items involved. */
function relocate(error: ErrorObject, positions: ReadonlyMap<string, number[]>): ErrorObject {
  const item = ITEM_PATH.exec(error.instancePath);
  if (item !== null) {
    const [matched, array, position] = item as unknown as [string, string, string];
    const order = positions.get(array) as number[];
    const rest = error.instancePath.slice(matched.length);
    return { ...error, instancePath: `/${array}/${order[Number(position)]}${rest}` };
  }
  const order = positions.get(error.instancePath.slice(1));
  if (error.keyword === LINEAR_UNIQUE_ITEMS && order !== undefined) {
    const [first, repeated] = (error.params as { duplicate: Duplicate }).duplicate;
    return {
      ...error,
      params: { duplicate: [order[first], order[repeated]] },
    };
  }
  return error;
}
