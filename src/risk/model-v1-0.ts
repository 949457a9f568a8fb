import type { RiskModel } from './risk-model.js';

/**
 * Risk model v1.0, transcribed from DESIGN.md "Risk model v1.0". Frozen: a score stored
 * under "1.0" must mean the same forever, so any change to a number here is a new version.
 */
export const RISK_MODEL_V1_0: RiskModel = {
  version: '1.0',
  weights: {
    vulnerabilities: 25,
    policy_violations: 20,
    test_coverage: 15,
    exception_count: 15,
    ring_0_failures: 10,
    dependency_risk: 10,
    artifact_age: 5,
  },
  rubrics: {
    vulnerabilities: {
      kind: 'steps',
      input: 'critical + 0.5 × high findings after VEX (not_affected / fixed removed)',
      steps: [
        { at_most: 0, normalized: 0 },
        { at_most: 3, normalized: 20 },
        { at_most: 7, normalized: 50 },
      ],
      above: 100,
      missing: 100,
    },
    policy_violations: {
      kind: 'steps',
      input: 'number of violated policy rules',
      steps: [
        { at_most: 0, normalized: 0 },
        { at_most: 1, normalized: 50 },
        { at_most: 2, normalized: 75 },
      ],
      above: 100,
      missing: 100,
    },
    test_coverage: {
      kind: 'complement_percent',
      input: 'coverage_percent of the latest lab test evidence',
      missing: 100,
    },
    exception_count: {
      kind: 'steps',
      input: 'active approved exceptions applied',
      steps: [
        { at_most: 0, normalized: 0 },
        { at_most: 1, normalized: 40 },
        { at_most: 2, normalized: 70 },
      ],
      above: 100,
      missing: 100,
    },
    ring_0_failures: {
      kind: 'failure_rate',
      input: 'failed / total of the latest ring-0 test evidence',
      minimum_on_failure: 25,
      missing: 100,
    },
    dependency_risk: {
      kind: 'steps',
      input: 'transitive_dependency_count of the SBOM',
      steps: [
        { at_most: 50, normalized: 0 },
        { at_most: 200, normalized: 25 },
        { at_most: 500, normalized: 50 },
        { at_most: 1000, normalized: 75 },
      ],
      above: 100,
      missing: 100,
    },
    artifact_age: {
      kind: 'steps',
      input: 'whole days from the artifact build_time to as_of',
      steps: [
        { at_most: 30, normalized: 0 },
        { at_most: 90, normalized: 20 },
        { at_most: 180, normalized: 50 },
        { at_most: 365, normalized: 75 },
      ],
      above: 100,
      missing: 100,
    },
  },
  bands: [
    { recommendation: 'LOW', min: 0, max: 24 },
    { recommendation: 'MODERATE', min: 25, max: 49 },
    { recommendation: 'CAUTION', min: 50, max: 69 },
    { recommendation: 'HIGH', min: 70, max: 84 },
    { recommendation: 'CRITICAL', min: 85, max: 100 },
  ],
  threshold: { score_above: 50, on_policy_violation: true },
};
