import { describe, expect, it } from 'vitest';
import { RISK_MODEL_V1_0 } from './model-v1-0.js';
import { bestInput, EXAMPLE_65 } from './risk-fixtures.js';
import type { RiskModel } from './risk-model.js';
import {
  buildRegistry,
  compareVersions,
  DEFAULT_RISK_MODEL_VERSION,
  getRiskModel,
  RISK_MODELS,
  UnknownRiskModelError,
} from './risk-registry.js';
import { scoreRisk } from './score-risk.js';
import { compareRiskResults, shadowScore } from './shadow-score.js';
import { riskModelProblems } from './validate-risk-model.js';

/** A deep copy of v1.0 to break in one place. */
const variant = (version: string, change: (m: RiskModel) => void = () => {}): RiskModel => {
  const copy = structuredClone(RISK_MODEL_V1_0) as RiskModel;
  const mutable = copy as { version: string };
  mutable.version = version;
  change(copy);
  return copy;
};

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };
const edit = (m: RiskModel) => m as Mutable<RiskModel>;

describe('risk model registry', () => {
  it('serves v1.0 as the default, exactly as DESIGN.md states it', () => {
    expect(DEFAULT_RISK_MODEL_VERSION).toBe('1.0');
    expect(Object.keys(RISK_MODELS)).toEqual(['1.0']);
    const model = getRiskModel();
    expect(model).toBe(getRiskModel('1.0'));
    expect(model.weights).toEqual({
      vulnerabilities: 25,
      policy_violations: 20,
      test_coverage: 15,
      exception_count: 15,
      ring_0_failures: 10,
      dependency_risk: 10,
      artifact_age: 5,
    });
    expect(model.threshold).toEqual({ score_above: 50, on_policy_violation: true });
    expect(riskModelProblems(model)).toEqual([]);
  });

  it('is frozen all the way down: nobody re-weights a stored version at runtime', () => {
    const model = getRiskModel('1.0');
    expect(Object.isFrozen(RISK_MODELS)).toBe(true);
    expect(Object.isFrozen(model.weights)).toBe(true);
    expect(Object.isFrozen(model.rubrics.vulnerabilities.steps[1])).toBe(true);
    expect(() => {
      (model.weights as Record<string, number>).vulnerabilities = 0;
    }).toThrow(TypeError);
  });

  it.each(['2.0', '', '1', '__proto__', 'constructor', 'toString'])(
    'refuses unknown version %j with 422 unknown_model_version, naming the known ones',
    (version) => {
      let thrown: unknown;
      try {
        getRiskModel(version);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UnknownRiskModelError);
      expect(thrown).toMatchObject({
        kind: 'unprocessable',
        reason: 'unknown_model_version',
        knownVersions: ['1.0'],
      });
      expect((thrown as Error).message).toContain('known versions: 1.0');
    },
  );

  it('orders versions numerically', () => {
    expect(['1.10', '2.0', '1.9', '1.0'].sort(compareVersions)).toEqual([
      '1.0',
      '1.9',
      '1.10',
      '2.0',
    ]);
  });

  it('adding a version is adding an entry; the default stays until changed', () => {
    const v11 = variant('1.1', (m) => {
      edit(m).weights.vulnerabilities = 30;
      edit(m).weights.artifact_age = 0;
    });
    const registry = buildRegistry([v11, structuredClone(RISK_MODEL_V1_0)], '1.0');
    expect(Object.keys(registry)).toEqual(['1.0', '1.1']);
    expect(registry['1.1']!.weights.vulnerabilities).toBe(30);
  });

  it('refuses a broken registry at load', () => {
    expect(() => buildRegistry([RISK_MODEL_V1_0, variant('1.0')], '1.0')).toThrow(
      /registered twice/,
    );
    expect(() => buildRegistry([variant('1.1')], '1.0')).toThrow(/default risk model 1.0/);
    expect(() =>
      buildRegistry([variant('1.1', (m) => (edit(m).weights.artifact_age = 6))], '1.1'),
    ).toThrow(/risk model 1.1 is invalid: weights sum to 101, not 100/);
  });

  it.each<[string, (m: Mutable<RiskModel>) => void, RegExp]>([
    ['a bad version', (m) => (m.version = 'v2'), /not major\.minor/],
    ['a fractional weight', (m) => (m.weights.vulnerabilities = 24.5), /weight of vulnerabilities/],
    ['weights not summing to 100', (m) => (m.weights.vulnerabilities = 20), /sum to 95/],
    ['a lenient missing value', (m) => (m.rubrics.dependency_risk.missing = 50), /worst value/],
    ['no steps', (m) => (m.rubrics.artifact_age.steps = []), /artifact_age: no steps/],
    [
      'a negative bound',
      (m) => (m.rubrics.artifact_age.steps[0]!.at_most = -1),
      /bound -1 is not a finite number/,
    ],
    [
      'a normalized value out of range',
      (m) => (m.rubrics.policy_violations.steps[1]!.normalized = 101),
      /normalized 101/,
    ],
    [
      'bounds out of order',
      (m) => (m.rubrics.dependency_risk.steps[2]!.at_most = 100),
      /bounds must ascend/,
    ],
    [
      'a value that falls as risk rises',
      (m) => (m.rubrics.exception_count.steps[2]!.normalized = 10),
      /must not fall/,
    ],
    ['a top step below 100', (m) => (m.rubrics.vulnerabilities.above = 90), /must score 100/],
    [
      'a bad ring-0 floor',
      (m) => (m.rubrics.ring_0_failures.minimum_on_failure = 120),
      /minimum_on_failure/,
    ],
    ['a gap between bands', (m) => (m.bands[1]!.min = 26), /band MODERATE must start at 25/],
    ['bands short of 100', (m) => (m.bands[4]!.max = 99), /bands must end at 100/],
    ['a missing band', (m) => m.bands.splice(4, 1), /bands must end at 100/],
    [
      'bands out of order',
      (m) => {
        m.bands[0]!.recommendation = 'MODERATE';
        m.bands[1]!.recommendation = 'LOW';
      },
      /bands must be LOW, MODERATE/,
    ],
    ['a bad threshold', (m) => (m.threshold.score_above = 50.5), /threshold/],
  ])('names %s', (_what, change, problem) => {
    const broken = variant('1.9', (m) => change(edit(m)));
    expect(riskModelProblems(broken).join('\n')).toMatch(problem);
  });
});

describe('shadow scoring', () => {
  it('scores under every registered version by default, storing nothing', () => {
    const results = shadowScore(EXAMPLE_65);
    expect(Object.keys(results)).toEqual(['1.0']);
    expect(results['1.0']).toEqual(scoreRisk(EXAMPLE_65, getRiskModel('1.0')));
  });

  it('refuses an unknown version', () => {
    expect(() => shadowScore(EXAMPLE_65, ['1.0', '9.9'])).toThrow(UnknownRiskModelError);
  });

  it('compares a stored score with a candidate model factor by factor', () => {
    const candidate = variant('1.1', (m) => {
      edit(m).rubrics.dependency_risk.steps[3]!.at_most = 2000; // 1200 deps: 100 → 75
      edit(m).weights.vulnerabilities = 30;
      edit(m).weights.artifact_age = 0;
    });
    expect(riskModelProblems(candidate)).toEqual([]);
    const stored = scoreRisk(EXAMPLE_65, getRiskModel('1.0'));
    const shadow = scoreRisk(EXAMPLE_65, candidate);
    const diff = compareRiskResults(stored, shadow);
    expect(diff).toMatchObject({
      from_version: '1.0',
      to_version: '1.1',
      // 6450 + 250 (vulns 5 × 50) − 500 (age) − 250 (deps 10 × 25) = 5950 → 60 (59.5 half up)
      score: { from: 65, to: 60, delta: -5 },
      recommendation: { from: 'CAUTION', to: 'CAUTION', changed: false },
      threshold_exceeded: { changed: false },
    });
    expect(diff.changed_factors.map((c) => c.factor)).toEqual([
      'vulnerabilities',
      'dependency_risk',
      'artifact_age',
    ]);
    expect(diff.changed_factors[1]).toEqual({
      factor: 'dependency_risk',
      normalized: { from: 100, to: 75 },
      weighted: { from: 10, to: 7.5 },
    });
  });

  it('reports threshold and band changes', () => {
    const low = scoreRisk(bestInput(), getRiskModel());
    const high = scoreRisk(EXAMPLE_65, getRiskModel());
    expect(compareRiskResults(low, high)).toMatchObject({
      score: { delta: 65 },
      recommendation: { from: 'LOW', to: 'CAUTION', changed: true },
      threshold_exceeded: { from: false, to: true, changed: true },
    });
    expect(compareRiskResults(high, high).changed_factors).toEqual([]);
  });
});
