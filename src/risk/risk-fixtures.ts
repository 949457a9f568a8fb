import type { RiskInput } from './risk-model.js';

/** Shared by the risk tests and the bench; not part of the domain's public surface. */

export const AS_OF = '2026-03-01T12:00:00.000Z';
const DAY_MS = 86_400_000;

/** `days` whole days (and `extraMs` more) before AS_OF, as an ISO instant. */
export function daysBefore(days: number, extraMs = 0, asOf = AS_OF): string {
  return new Date(Date.parse(asOf) - days * DAY_MS - extraMs).toISOString();
}

/** Every factor at its best (normalized 0): changing one field isolates one factor. */
export function bestInput(overrides: Partial<RiskInput> = {}): RiskInput {
  return {
    vulnerabilities: { critical: 0, high: 0 },
    policy_violation_count: 0,
    lab_coverage_percent: 100,
    exception_count: 0,
    ring0: { failed: 0, total: 20 },
    transitive_dependency_count: 10,
    artifact_build_time: daysBefore(1),
    as_of: AS_OF,
    ...overrides,
  };
}

/**
 * The worked example of docs/architecture/risk-model.md: Σ weight × normalized = 6,450
 * hundredths, i.e. 64.5, rounded half up to 65 → CAUTION.
 */
export const EXAMPLE_65: RiskInput = {
  vulnerabilities: { critical: 5, high: 4 },
  policy_violation_count: 2,
  lab_coverage_percent: 89.5,
  exception_count: 2,
  ring0: null,
  transitive_dependency_count: 1200,
  artifact_build_time: '2025-01-01T00:00:00Z',
  as_of: AS_OF,
};
