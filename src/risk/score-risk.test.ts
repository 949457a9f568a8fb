import { describe, expect, it } from 'vitest';
import { RISK_MODEL_V1_0 } from './model-v1-0.js';
import { AS_OF, bestInput, daysBefore, EXAMPLE_65 } from './risk-fixtures.js';
import type { FactorName, RiskInput, RiskModel } from './risk-model.js';
import { getRiskModel } from './risk-registry.js';
import { recommendationFor, scoreRisk } from './score-risk.js';
import { InvalidRiskInputError } from './validate-risk-input.js';

const model = getRiskModel('1.0');
const factorOf = (name: FactorName, overrides: Partial<RiskInput>) =>
  scoreRisk(bestInput(overrides), model).factors[name];

describe('scoreRisk v1.0: each factor at every rubric boundary', () => {
  it('scores the all-best input 0, LOW, below the threshold', () => {
    const result = scoreRisk(bestInput(), model);
    expect(result).toMatchObject({
      score: 0,
      model_version: '1.0',
      recommendation: 'LOW',
      threshold_exceeded: false,
    });
    for (const factor of Object.values(result.factors)) {
      expect(factor.normalized).toBe(0);
      expect(factor.weighted).toBe(0);
    }
  });

  it.each([
    [0, 0, 0, 0],
    [0, 1, 0.5, 20],
    [3, 0, 3, 20],
    [0, 6, 3, 20],
    [2, 3, 3.5, 50],
    [0, 7, 3.5, 50],
    [7, 0, 7, 50],
    [0, 14, 7, 50],
    [6, 3, 7.5, 100],
    [0, 15, 7.5, 100],
    [40, 0, 40, 100],
  ])('vulnerabilities %i critical + %i high: raw %d → %i', (critical, high, raw, normalized) => {
    const factor = factorOf('vulnerabilities', { vulnerabilities: { critical, high } });
    expect(factor).toMatchObject({ raw, normalized, weight: 25 });
    expect(factor.weighted).toBe((25 * normalized) / 100);
  });

  it('vulnerabilities: no scan attached is the worst value, and says so', () => {
    const factor = factorOf('vulnerabilities', { vulnerabilities: null });
    expect(factor).toMatchObject({ raw: null, normalized: 100, weighted: 25 });
    expect(factor.explanation).toMatch(/No vulnerability scan attached.*worst value, 100/);
  });

  it.each([
    [0, 0],
    [1, 50],
    [2, 75],
    [3, 100],
    [4, 100],
  ])('policy_violations %i → %i', (count, normalized) => {
    expect(factorOf('policy_violations', { policy_violation_count: count })).toMatchObject({
      raw: count,
      normalized,
      weight: 20,
    });
  });

  it.each([
    [100, 0],
    [99.5, 0],
    [99.49, 1],
    [87.5, 12],
    [60, 40],
    [1.005, 99],
    [0.5, 99],
    [0.49, 100],
    [0, 100],
    [1e-7, 100],
    [150, 0],
    [-5, 100],
  ])('test_coverage %d%% → %i', (coverage, normalized) => {
    expect(factorOf('test_coverage', { lab_coverage_percent: coverage })).toMatchObject({
      raw: coverage,
      normalized,
      weight: 15,
    });
  });

  it('test_coverage: explains rounding, clamping and missing evidence', () => {
    expect(factorOf('test_coverage', { lab_coverage_percent: 87.5 }).explanation).toBe(
      'Lab test coverage 87.5%, rounded half up to 88%; 100 − 88 = 12.',
    );
    expect(factorOf('test_coverage', { lab_coverage_percent: 150 }).explanation).toContain(
      'clamped to 100%',
    );
    const missing = factorOf('test_coverage', { lab_coverage_percent: null });
    expect(missing).toMatchObject({ raw: null, normalized: 100 });
    expect(missing.explanation).toMatch(/No lab test coverage.*worst value, 100/);
  });

  it.each([
    [0, 0],
    [1, 40],
    [2, 70],
    [3, 100],
    [4, 100],
  ])('exception_count %i → %i', (count, normalized) => {
    expect(factorOf('exception_count', { exception_count: count })).toMatchObject({
      raw: count,
      normalized,
      weight: 15,
    });
  });

  it.each([
    [0, 10, 0, 0],
    [1, 100, 1, 25],
    [1, 200, 0.5, 25],
    [1, 8, 12.5, 25],
    [1, 4, 25, 25],
    [1, 3, 33.33, 33],
    [1, 2, 50, 50],
    [5, 8, 62.5, 63],
    [2, 3, 66.67, 67],
    [10, 10, 100, 100],
  ])('ring_0_failures %i of %i: raw %d%% → %i', (failed, total, raw, normalized) => {
    expect(factorOf('ring_0_failures', { ring0: { failed, total } })).toMatchObject({
      raw,
      normalized,
      weight: 10,
    });
  });

  it('ring_0_failures: explains the 25 floor; no results, or 0 tests, count as missing', () => {
    expect(factorOf('ring_0_failures', { ring0: { failed: 1, total: 100 } }).explanation).toBe(
      '1 of 100 ring-0 tests failed (1%); max(25, round_half_up(100 × 1 / 100) = 1) = 25.',
    );
    const none = factorOf('ring_0_failures', { ring0: null });
    expect(none).toMatchObject({ raw: null, normalized: 100 });
    expect(none.explanation).toMatch(/No ring-0 test results attached/);
    const empty = factorOf('ring_0_failures', { ring0: { failed: 0, total: 0 } });
    expect(empty).toMatchObject({ raw: null, normalized: 100 });
    expect(empty.explanation).toMatch(/report 0 tests.*missing.*worst value, 100/);
  });

  it.each([
    [0, 0],
    [50, 0],
    [51, 25],
    [200, 25],
    [201, 50],
    [500, 50],
    [501, 75],
    [1000, 75],
    [1001, 100],
  ])('dependency_risk %i transitive → %i', (count, normalized) => {
    expect(factorOf('dependency_risk', { transitive_dependency_count: count })).toMatchObject({
      raw: count,
      normalized,
      weight: 10,
    });
  });

  it('dependency_risk: no SBOM is the worst value, and says so', () => {
    const factor = factorOf('dependency_risk', { transitive_dependency_count: null });
    expect(factor).toMatchObject({ raw: null, normalized: 100 });
    expect(factor.explanation).toMatch(/No SBOM attached/);
  });

  it.each([
    [0, 0, 0],
    [30, 0, 0],
    [31, 0, 20],
    [90, 0, 20],
    [91, 0, 50],
    [180, 0, 50],
    [181, 0, 75],
    [365, 0, 75],
    [366, 0, 100],
    // Whole days, rounded down: 30 days and 23:59:59.999 is still 30.
    [30, 86_399_999, 0],
    [365, 86_399_999, 75],
  ])('artifact_age %i days (+%i ms) → %i', (days, extraMs, normalized) => {
    expect(
      factorOf('artifact_age', { artifact_build_time: daysBefore(days, extraMs) }),
    ).toMatchObject({ raw: days, normalized, weight: 5 });
  });

  it('artifact_age: a build in the future counts as 0 days, explained', () => {
    const factor = factorOf('artifact_age', { artifact_build_time: daysBefore(0, -3_600_000) });
    expect(factor).toMatchObject({ raw: 0, normalized: 0 });
    expect(factor.explanation).toMatch(/is after as_of.*counts as 0 days/);
  });

  it('artifact_age: an unknown build_time is the worst value, explained', () => {
    const factor = factorOf('artifact_age', { artifact_build_time: null });
    expect(factor).toMatchObject({ raw: null, normalized: 100 });
    expect(factor.explanation).toMatch(/build_time is unknown/);
  });

  it('artifact_age: offsets and plain dates are read as instants, never as local time', () => {
    // 2026-01-30T23:30-01:00 is 2026-01-31T00:30Z: 29 days and 11.5 hours before as_of.
    expect(factorOf('artifact_age', { artifact_build_time: '2026-01-30T23:30:00-01:00' }).raw).toBe(
      29,
    );
    // A plain date is UTC midnight: 2025-12-01 → 90 days and 12 hours.
    expect(factorOf('artifact_age', { artifact_build_time: '2025-12-01' })).toMatchObject({
      raw: 90,
      normalized: 20,
    });
  });
});

describe('scoreRisk v1.0: score, bands and threshold', () => {
  /** Inputs whose Σ weight × normalized is known, for the band edges. */
  const at = (overrides: Partial<RiskInput>) => scoreRisk(bestInput(overrides), model);
  const allMissing: Partial<RiskInput> = {
    vulnerabilities: null,
    lab_coverage_percent: null,
    ring0: null,
  };

  it.each([
    // 1250 (vulns 7) + 600 (1 exception) + 500 (ring-0 1/2) = 2350 → 23.5 → 24
    [
      24,
      'LOW',
      {
        vulnerabilities: { critical: 7, high: 0 },
        exception_count: 1,
        ring0: { failed: 1, total: 2 },
      },
    ],
    // + 100 (age 31 days) = 2450 → 24.5 rounds half up → 25
    [
      25,
      'MODERATE',
      {
        vulnerabilities: { critical: 7, high: 0 },
        exception_count: 1,
        ring0: { failed: 1, total: 2 },
        artifact_build_time: daysBefore(31),
      },
    ],
    // 2500 (no scan) + 1000 (1 violation) + 1050 (2 exceptions) + 100 (age) + 210 (coverage 86) = 4860 → 49
    [
      49,
      'MODERATE',
      {
        vulnerabilities: null,
        policy_violation_count: 1,
        exception_count: 2,
        artifact_build_time: daysBefore(31),
        lab_coverage_percent: 86,
      },
    ],
    // 2500 + 1500 (no coverage) + 950 (ring-0 19/20) = 4950 → 49.5 → 50
    [
      50,
      'CAUTION',
      { vulnerabilities: null, lab_coverage_percent: null, ring0: { failed: 19, total: 20 } },
    ],
    // 2500 + 1500 (2 violations) + 1500 + 1000 (no ring 0) + 250 (deps 51) + 100 (age) = 6850 → 69
    [
      69,
      'CAUTION',
      {
        ...allMissing,
        policy_violation_count: 2,
        transitive_dependency_count: 51,
        artifact_build_time: daysBefore(31),
      },
    ],
    // 2500 + 1500 + 1500 + 1000 + 500 (deps 201) = 7000 → 70
    [70, 'HIGH', { ...allMissing, policy_violation_count: 2, transitive_dependency_count: 201 }],
    // 2500 + 2000 + 1500 + 1500 + 500 (ring-0 1/2) + 250 + 100 = 8350 → 83.5 → 84
    [
      84,
      'HIGH',
      {
        vulnerabilities: null,
        policy_violation_count: 3,
        lab_coverage_percent: null,
        exception_count: 3,
        ring0: { failed: 1, total: 2 },
        transitive_dependency_count: 51,
        artifact_build_time: daysBefore(31),
      },
    ],
    // 7500 + 600 (ring-0 3/5) + 250 + 100 = 8450 → 84.5 → 85
    [
      85,
      'CRITICAL',
      {
        vulnerabilities: null,
        policy_violation_count: 3,
        lab_coverage_percent: null,
        exception_count: 3,
        ring0: { failed: 3, total: 5 },
        transitive_dependency_count: 51,
        artifact_build_time: daysBefore(31),
      },
    ],
    [
      100,
      'CRITICAL',
      {
        ...allMissing,
        policy_violation_count: 3,
        exception_count: 3,
        transitive_dependency_count: null,
        artifact_build_time: null,
      },
    ],
  ] as const)('score %i → %s', (score, recommendation, overrides) => {
    expect(at(overrides)).toMatchObject({ score, recommendation });
  });

  it.each([
    [0, 'LOW'],
    [24, 'LOW'],
    [25, 'MODERATE'],
    [49, 'MODERATE'],
    [50, 'CAUTION'],
    [69, 'CAUTION'],
    [70, 'HIGH'],
    [84, 'HIGH'],
    [85, 'CRITICAL'],
    [100, 'CRITICAL'],
  ] as const)('band of %i is %s', (score, recommendation) => {
    expect(recommendationFor(score, model)).toBe(recommendation);
  });

  it('a band-less score is a broken model, not a silent default', () => {
    const gap: RiskModel = { ...RISK_MODEL_V1_0, bands: RISK_MODEL_V1_0.bands.slice(1) };
    expect(() => recommendationFor(3, gap)).toThrow(/no band for score 3/);
  });

  it('threshold: 50 without violations does not need CAB, 51 does', () => {
    const fifty = at(allMissing); // 2500 + 1500 + 1000 = 5000
    expect(fifty).toMatchObject({ score: 50, threshold_exceeded: false });
    const fiftyOne = at({ ...allMissing, artifact_build_time: daysBefore(31) }); // + 100
    expect(fiftyOne).toMatchObject({ score: 51, threshold_exceeded: true });
  });

  it('threshold: any policy violation needs CAB whatever the score', () => {
    expect(at({ policy_violation_count: 1 })).toMatchObject({
      score: 10,
      recommendation: 'LOW',
      threshold_exceeded: true,
    });
  });

  it('no evidence at all scores 65, CAUTION: missing evidence never looks safe', () => {
    const result = scoreRisk(
      {
        vulnerabilities: null,
        policy_violation_count: 0,
        lab_coverage_percent: null,
        exception_count: 0,
        ring0: null,
        transitive_dependency_count: null,
        artifact_build_time: null,
        as_of: AS_OF,
      },
      model,
    );
    expect(result).toMatchObject({
      score: 65,
      recommendation: 'CAUTION',
      threshold_exceeded: true,
    });
  });

  it('the worked example: 6,450 hundredths = 64.5 → 65 → CAUTION', () => {
    const result = scoreRisk(EXAMPLE_65, model);
    const summary = Object.fromEntries(
      Object.entries(result.factors).map(([name, f]) => [name, [f.raw, f.normalized, f.weighted]]),
    );
    expect(summary).toEqual({
      vulnerabilities: [7, 50, 12.5],
      policy_violations: [2, 75, 15],
      test_coverage: [89.5, 10, 1.5],
      exception_count: [2, 70, 10.5],
      ring_0_failures: [null, 100, 10],
      dependency_risk: [1200, 100, 10],
      artifact_age: [424, 100, 5],
    });
    expect(result).toMatchObject({
      score: 65,
      model_version: '1.0',
      recommendation: 'CAUTION',
      threshold_exceeded: true,
    });
    expect(result.factors.vulnerabilities.explanation).toBe(
      '5 critical + 0.5 × 4 high findings after VEX (exceptions do not remove findings) = 7; ≤ 7 → 50.',
    );
    expect(result.factors.artifact_age.explanation).toBe(
      'Built 424 whole days before as_of (build_time 2025-01-01T00:00:00Z, as_of 2026-03-01T12:00:00.000Z); > 365 → 100.',
    );
  });

  it('factors come in DESIGN.md order', () => {
    expect(Object.keys(scoreRisk(EXAMPLE_65, model).factors)).toEqual([
      'vulnerabilities',
      'policy_violations',
      'test_coverage',
      'exception_count',
      'ring_0_failures',
      'dependency_risk',
      'artifact_age',
    ]);
  });

  it('singular and plural explanations read right', () => {
    const result = at({ policy_violation_count: 1, exception_count: 1 });
    expect(result.factors.policy_violations.explanation).toBe('1 policy rule violated; ≤ 1 → 50.');
    expect(result.factors.exception_count.explanation).toBe(
      '1 active approved exception applied; ≤ 1 → 40.',
    );
    expect(at({ transitive_dependency_count: 1 }).factors.dependency_risk.explanation).toBe(
      '1 transitive dependency in the SBOM; ≤ 50 → 0.',
    );
    expect(at({}).factors.ring_0_failures.explanation).toBe('0 of 20 ring-0 tests failed → 0.');
  });
});

describe('scoreRisk: facts no evidence could produce are refused (422)', () => {
  it.each([
    [{ vulnerabilities: { critical: -1, high: 0 } }, '/vulnerabilities/critical'],
    [{ vulnerabilities: { critical: 0, high: 1.5 } }, '/vulnerabilities/high'],
    [{ policy_violation_count: -1 }, '/policy_violation_count'],
    [{ lab_coverage_percent: Number.NaN }, '/lab_coverage_percent'],
    [{ lab_coverage_percent: Number.POSITIVE_INFINITY }, '/lab_coverage_percent'],
    [{ exception_count: 0.5 }, '/exception_count'],
    [{ ring0: { failed: 5, total: 3 } }, '/ring0/failed'],
    [{ ring0: { failed: 0, total: -1 } }, '/ring0/total'],
    [{ transitive_dependency_count: Number.MAX_SAFE_INTEGER + 1 }, '/transitive_dependency_count'],
    [{ as_of: '2026-03-01T12:00:00' }, '/as_of'],
    [{ as_of: 'now' }, '/as_of'],
    [{ artifact_build_time: 'yesterday' }, '/artifact_build_time'],
    [{ artifact_build_time: '2025-02-29T00:00:00Z' }, '/artifact_build_time'],
  ] as [Partial<RiskInput>, string][])('%j names %s', (overrides, path) => {
    let thrown: unknown;
    try {
      scoreRisk(bestInput(overrides), model);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidRiskInputError);
    const error = thrown as InvalidRiskInputError;
    expect(error).toMatchObject({ kind: 'unprocessable', reason: 'invalid_risk_input' });
    expect(error.errors.map((e) => e.path)).toContain(path);
  });
});
