import { parseJsonDocument } from '../json-document.js';
import { describe, fail, isRecord, type JsonRecord, Problems } from '../scan/doc-reader.js';
import { isStage, resolveStage } from './stage.js';
import {
  CASE_STATUSES,
  type CaseStatus,
  type ParsedTestResults,
  type TestCase,
  type TestStage,
} from './types.js';

const KNOWN_FIELDS = new Set([
  'stage',
  'total',
  'passed',
  'failed',
  'skipped',
  'coverage_percent',
  'devices',
  'duration_seconds',
  'cases',
]);

/** DESIGN.md "Test results as JSON", validated field by field with JSON-pointer paths. */
export function readJsonResults(bytes: Uint8Array, optionStage: unknown): ParsedTestResults {
  const doc = parseJsonDocument(bytes, 'test results');
  if (!isRecord(doc)) {
    fail('Test results JSON must be an object.', '', `got ${describe(doc)}`, 'invalid_structure');
  }
  const problems = new Problems();
  let documentStage: TestStage | null = null;
  if (doc.stage !== undefined) {
    if (isStage(doc.stage)) documentStage = doc.stage;
    else problems.add(['stage'], `must be "lab" or "ring0", got ${describe(doc.stage)}`);
  }
  const total = count(doc, 'total', problems);
  const passed = count(doc, 'passed', problems);
  const failed = count(doc, 'failed', problems);
  const skipped = count(doc, 'skipped', problems);
  const coverage = optionalNumber(doc, 'coverage_percent', problems, 100);
  const devices = optionalCount(doc, 'devices', problems);
  const duration = optionalNumber(doc, 'duration_seconds', problems, Number.POSITIVE_INFINITY);
  const cases = readCases(doc, problems);
  problems.throwIfAny('The test results JSON is invalid.');
  if (passed! + failed! + skipped! !== total) {
    fail(
      `passed + failed + skipped must equal total: ${passed} + ${failed} + ${skipped} = ${passed! + failed! + skipped!}, but total is ${total}.`,
      '/total',
      `expected ${passed! + failed! + skipped!}, got ${total}`,
      'inconsistent_totals',
    );
  }
  const stage = resolveStage(documentStage, optionStage, '/stage');
  const warnings: string[] = [];
  const unknown = Object.keys(doc).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) warnings.push(`Ignored unknown fields: ${unknown.join(', ')}.`);
  if (stage === 'ring0' && (devices === null || duration === null)) {
    warnings.push('Ring-0 results should give devices and duration_seconds.');
  }
  if (cases.length > 0 && cases.length === total) {
    const tally = (s: CaseStatus[]) => cases.filter((c) => s.includes(c.status)).length;
    if (
      tally(['passed']) !== passed ||
      tally(['failed', 'error']) !== failed ||
      tally(['skipped']) !== skipped
    ) {
      warnings.push('The cases list does not agree with the passed/failed/skipped counts.');
    }
  }
  return {
    format: 'json',
    spec_version: null,
    summary: {
      stage,
      total: total!,
      passed: passed!,
      failed: failed!,
      skipped: skipped!,
      coverage_percent: coverage,
      devices,
      duration_seconds: duration,
      cases,
    },
    warnings,
  };
}

function count(doc: JsonRecord, key: string, problems: Problems): number | null {
  const value = doc[key];
  if (value === undefined) {
    problems.add([key], 'is required');
    return null;
  }
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    problems.add([key], `must be a non-negative integer, got ${describe(value)}`);
    return null;
  }
  return value as number;
}

function optionalCount(doc: JsonRecord, key: string, problems: Problems): number | null {
  if (doc[key] === undefined || doc[key] === null) return null;
  return count(doc, key, problems);
}

function optionalNumber(
  doc: JsonRecord,
  key: string,
  problems: Problems,
  max: number,
): number | null {
  const value = doc[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    const range = max === 100 ? 'between 0 and 100' : '≥ 0';
    problems.add([key], `must be a number ${range}, got ${describe(value)}`);
    return null;
  }
  return value;
}

function readCases(doc: JsonRecord, problems: Problems): TestCase[] {
  const value = doc.cases;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(['cases'], `must be an array, got ${describe(value)}`);
    return [];
  }
  const cases: TestCase[] = [];
  value.forEach((entry, i) => {
    if (!isRecord(entry)) {
      problems.add(['cases', i], 'must be an object');
      return;
    }
    const name = typeof entry.name === 'string' && entry.name.trim() !== '' ? entry.name : null;
    const status = CASE_STATUSES.find((s) => s === entry.status);
    const message = entry.message;
    if (name === null) problems.add(['cases', i, 'name'], 'must be a non-empty string');
    if (status === undefined) {
      problems.add(['cases', i, 'status'], `must be one of ${CASE_STATUSES.join(', ')}`);
    }
    if (message !== undefined && message !== null && typeof message !== 'string') {
      problems.add(['cases', i, 'message'], 'must be a string or null');
    }
    if (name === null || status === undefined) return;
    cases.push({ name, status, message: typeof message === 'string' ? message : null });
  });
  return cases;
}
