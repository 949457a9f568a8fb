export type TestStage = 'lab' | 'ring0';

export type TestResultsFormat = 'junit' | 'json';

export type CaseStatus = 'passed' | 'failed' | 'skipped' | 'error';

export interface TestCase {
  name: string;
  status: CaseStatus;
  message: string | null;
}

export interface TestResultsSummary {
  stage: TestStage;
  total: number;
  passed: number;
  /** Failures and errors together: both mean the build did not do what the test expected. */
  failed: number;
  skipped: number;
  coverage_percent: number | null;
  devices: number | null;
  duration_seconds: number | null;
  cases: TestCase[];
}

export interface ParsedTestResults {
  format: TestResultsFormat;
  spec_version: string | null;
  summary: TestResultsSummary;
  warnings: string[];
}

export interface ParseTestResultsOptions {
  stage?: TestStage;
  format?: TestResultsFormat;
}

export const STAGES: readonly TestStage[] = ['lab', 'ring0'];
export const CASE_STATUSES: readonly CaseStatus[] = ['passed', 'failed', 'skipped', 'error'];
