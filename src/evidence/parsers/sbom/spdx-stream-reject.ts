import type { ErrorObject, ValidateFunction } from 'ajv';
import type { JsonObject } from './json-values.js';
import { validateOrReject } from './sbom-errors.js';
import { schemaValidator } from './schema-validator.js';
import { SPDX_CORE_SCHEMA, spdxValidator } from './spdx-schema.js';

/** The arrays whose items the core schema constrains, validated item by item when streamed. */
export type ValidatedArray = 'packages' | 'files' | 'snippets' | 'relationships';

const itemValidators = new Map<ValidatedArray, ValidateFunction>();

/**
 * The core schema's definition of one item of `array`, compiled once. It has no recursion,
 * so unlike CycloneDX's, validating an item cannot run out of stack however deep the item.
 */
export function spdxItemValidator(array: ValidatedArray): ValidateFunction {
  let validate = itemValidators.get(array);
  if (validate === undefined) {
    validate = schemaValidator().compile(SPDX_CORE_SCHEMA.properties[array].items);
    itemValidators.set(array, validate);
  }
  return validate;
}

/**
 * Validates the document as parseSpdx would, from its shell (every member but the streamed
 * arrays, which are `[]` there) and the first item of each array that failed its
 * definition, standing in for its array: Ajv stops at that item in the whole array, so it
 * picks the same first error among shell and items as on the whole document. Errors are
 * then moved back to the item's real index.
 *
 * @throws InvalidDocumentError when the document is invalid; returns when it is not.
 */
export function validateWithStandIns(
  shell: JsonObject,
  invalid: ReadonlyMap<ValidatedArray, [number, unknown]>,
  what: string,
): void {
  for (const [array, [, item]] of invalid) shell[array] = [item];
  validateOrReject(spdxValidator(), shell, what, '', (error) => relocate(error, invalid));
}

const ITEM_PATH = /^\/(packages|files|snippets|relationships)\/0(?=\/|$)/;

function relocate(
  error: ErrorObject,
  invalid: ReadonlyMap<ValidatedArray, [number, unknown]>,
): ErrorObject {
  const item = ITEM_PATH.exec(error.instancePath);
  if (item === null) return error;
  const [matched, array] = item as unknown as [string, ValidatedArray];
  const [index] = invalid.get(array) as [number, unknown];
  const rest = error.instancePath.slice(matched.length);
  return { ...error, instancePath: `/${array}/${index}${rest}` };
}
