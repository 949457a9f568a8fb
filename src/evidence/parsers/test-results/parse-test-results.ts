import { fail } from '../scan/doc-reader.js';
import { firstSignificantByte } from '../scan/sniff.js';
import { readJsonResults } from './json-results.js';
import { readJunit } from './junit.js';
import type { ParsedTestResults, ParseTestResultsOptions } from './types.js';

export const ACCEPTED_TEST_RESULT_FORMATS = 'JUnit XML, JSON test summary';

/**
 * Parses lab / ring-0 test evidence: JUnit XML or the JSON summary of DESIGN.md, detected
 * from the first significant character unless `options.format` is given. Pure.
 */
export function parseTestResults(
  bytes: Uint8Array,
  options: ParseTestResultsOptions = {},
): ParsedTestResults {
  const format = options.format ?? sniffFormat(bytes);
  return format === 'junit'
    ? readJunit(bytes, options.stage)
    : readJsonResults(bytes, options.stage);
}

function sniffFormat(bytes: Uint8Array): 'junit' | 'json' {
  const first = firstSignificantByte(bytes);
  if (first === 0x3c /* < */) return 'junit';
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) return 'json';
  if (first === undefined)
    fail('The test results document is empty.', '', 'empty body', 'invalid_structure');
  fail(
    `Unrecognised test results. Accepted formats: ${ACCEPTED_TEST_RESULT_FORMATS}.`,
    'line 1',
    'neither XML nor a JSON object',
    'unknown_format',
  );
}
