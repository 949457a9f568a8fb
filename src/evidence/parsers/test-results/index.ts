export { ACCEPTED_TEST_RESULT_FORMATS, parseTestResults } from './parse-test-results.js';
export type {
  CaseStatus,
  ParsedTestResults,
  ParseTestResultsOptions,
  TestCase,
  TestResultsFormat,
  TestResultsSummary,
  TestStage,
} from './types.js';
