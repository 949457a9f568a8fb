import { type ProblemDetail, UnprocessableError } from '../platform/errors.js';
import { parseInstant } from './exact-arithmetic.js';
import type { RiskInput } from './risk-model.js';

/** Facts that cannot be scored (negative counts, 5 of 3 failed, a non-ISO instant): 422. */
export class InvalidRiskInputError extends UnprocessableError {
  constructor(errors: ProblemDetail[]) {
    super(
      `The risk input cannot be scored: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`,
      errors,
      'invalid_risk_input',
    );
  }
}

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** Instants the scorer reads, already parsed, so scoring parses each once. */
export interface ParsedInstants {
  asOfMs: number;
  buildMs: number | null;
}

/**
 * Refuses facts no evidence could produce instead of scoring them: a score built on a
 * negative count or an unreadable date would look precise and mean nothing. Counts must be
 * safe integers so every sum and product below stays exact.
 */
export function validateRiskInput(input: RiskInput): ParsedInstants {
  const errors: ProblemDetail[] = [];
  const count = (path: string, n: number) => {
    if (!isCount(n)) errors.push({ path, message: 'must be an integer ≥ 0' });
  };
  if (input.vulnerabilities !== null) {
    count('/vulnerabilities/critical', input.vulnerabilities.critical);
    count('/vulnerabilities/high', input.vulnerabilities.high);
  }
  count('/policy_violation_count', input.policy_violation_count);
  if (input.lab_coverage_percent !== null && !Number.isFinite(input.lab_coverage_percent)) {
    errors.push({ path: '/lab_coverage_percent', message: 'must be a finite number' });
  }
  count('/exception_count', input.exception_count);
  if (input.ring0 !== null) {
    count('/ring0/failed', input.ring0.failed);
    count('/ring0/total', input.ring0.total);
    if (input.ring0.failed > input.ring0.total) {
      errors.push({ path: '/ring0/failed', message: 'must not exceed total' });
    }
  }
  if (input.transitive_dependency_count !== null) {
    count('/transitive_dependency_count', input.transitive_dependency_count);
  }
  const asOfMs = parseInstant(input.as_of);
  if (asOfMs === null) {
    errors.push({ path: '/as_of', message: 'must be an ISO-8601 instant with an offset' });
  }
  const buildMs =
    input.artifact_build_time === null ? null : parseInstant(input.artifact_build_time);
  if (input.artifact_build_time !== null && buildMs === null) {
    errors.push({
      path: '/artifact_build_time',
      message: 'must be an ISO-8601 instant with an offset, or a date',
    });
  }
  if (errors.length > 0 || asOfMs === null) throw new InvalidRiskInputError(errors);
  return { asOfMs, buildMs };
}
