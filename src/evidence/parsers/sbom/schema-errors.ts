import type { ErrorObject } from 'ajv';
import type { ProblemDetail } from '../../../platform/errors.js';
import { quote } from '../../../platform/text/quote.js';
import { LINEAR_UNIQUE_ITEMS, PATTERN_MEANINGS, STRING_ENUM } from './schema-rewrite.js';

const MAX_LISTED_VALUES = 12;

/** One Ajv error as a located problem; a missing or unknown property is located at itself. */
export function describeSchemaError(error: ErrorObject, prefix: string): ProblemDetail {
  const at = `${prefix}${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return {
        path: `${at}/${String(params.missingProperty)}`,
        message: 'required property is missing',
      };
    case 'additionalProperties':
      return {
        path: `${at}/${String(params.additionalProperty)}`,
        message: 'property is not allowed here',
      };
    case 'enum':
    case STRING_ENUM:
      return { path: at, message: describeEnum(error, params) };
    case LINEAR_UNIQUE_ITEMS: {
      const [first, repeated] = params.duplicate as [number, number];
      return {
        path: `${at}/${repeated}`,
        message: `duplicates item ${at}/${first} (items must be unique)`,
      };
    }
    case 'pattern':
      return {
        path: at,
        message: `${PATTERN_MEANINGS.get(String(params.pattern)) ?? `must match the pattern ${String(params.pattern)}`}${got(error.data)}`,
      };
    case 'format':
      return { path: at, message: `must be a valid ${String(params.format)}${got(error.data)}` };
    default:
      return { path: at, message: `${error.message}${got(error.data)}` };
  }
}

function describeEnum(error: ErrorObject, params: Record<string, unknown>): string {
  if (error.instancePath.endsWith('/license/id')) {
    return `is not an SPDX licence id${got(error.data)}`;
  }
  const allowed = params.allowedValues as unknown[];
  if (allowed.length > MAX_LISTED_VALUES) {
    return `must be one of the ${allowed.length} allowed values${got(error.data)}`;
  }
  return `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}${got(error.data)}`;
}

/** The offending value, quoted bounded; a container says nothing its path does not. */
function got(data: unknown): string {
  if (data === null || typeof data === 'object' || data === undefined) return '';
  return ` (got ${quote(data)})`;
}
