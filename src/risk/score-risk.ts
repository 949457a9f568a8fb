import { roundHalfUpPercent, roundHalfUpRatio, wholeDaysBetween } from './exact-arithmetic.js';
import type {
  ComplementPercentRubric,
  FactorName,
  FailureRateRubric,
  Recommendation,
  RiskFactor,
  RiskInput,
  RiskModel,
  RiskResult,
  StepRubric,
} from './risk-model.js';
import { validateRiskInput } from './validate-risk-input.js';

/** One factor before weighting. */
interface Assessment {
  raw: number | null;
  normalized: number;
  explanation: string;
}

/**
 * Scores frozen facts under one model: pure, deterministic, integer arithmetic only (see
 * docs/architecture/risk-model.md). Throws InvalidRiskInputError (422) on facts no evidence
 * could produce. The caller stores the result with `model_version`; it is never recomputed.
 */
export function scoreRisk(input: RiskInput, model: RiskModel): RiskResult {
  const { asOfMs, buildMs } = validateRiskInput(input);
  const { rubrics } = model;
  const assessed: Record<FactorName, Assessment> = {
    vulnerabilities: vulnerabilities(input.vulnerabilities, rubrics.vulnerabilities),
    policy_violations: policyViolations(input.policy_violation_count, rubrics.policy_violations),
    test_coverage: testCoverage(input.lab_coverage_percent, rubrics.test_coverage),
    exception_count: exceptionCount(input.exception_count, rubrics.exception_count),
    ring_0_failures: ring0Failures(input.ring0, rubrics.ring_0_failures),
    dependency_risk: dependencyRisk(input.transitive_dependency_count, rubrics.dependency_risk),
    artifact_age: artifactAge(input, buildMs, asOfMs, rubrics.artifact_age),
  };
  // Σ weight × normalized: an integer number of hundredths of a point (0–10,000).
  let hundredths = 0;
  const weigh = (name: FactorName): RiskFactor => {
    const { raw, normalized, explanation } = assessed[name];
    const weight = model.weights[name];
    hundredths += weight * normalized;
    return { raw, weight, normalized, weighted: (weight * normalized) / 100, explanation };
  };
  const factors: Record<FactorName, RiskFactor> = {
    vulnerabilities: weigh('vulnerabilities'),
    policy_violations: weigh('policy_violations'),
    test_coverage: weigh('test_coverage'),
    exception_count: weigh('exception_count'),
    ring_0_failures: weigh('ring_0_failures'),
    dependency_risk: weigh('dependency_risk'),
    artifact_age: weigh('artifact_age'),
  };
  const score = roundHalfUpRatio(hundredths, 100);
  const { threshold } = model;
  return {
    score,
    model_version: model.version,
    recommendation: recommendationFor(score, model),
    threshold_exceeded:
      score > threshold.score_above ||
      (threshold.on_policy_violation && input.policy_violation_count > 0),
    factors,
  };
}

export function recommendationFor(score: number, model: RiskModel): Recommendation {
  const band = model.bands.find((b) => score >= b.min && score <= b.max);
  // Unreachable for a registered model: validation makes the bands tile 0–100.
  if (!band) throw new Error(`risk model ${model.version} has no band for score ${score}`);
  return band.recommendation;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const missing = (what: string, rubric: { missing: number }): Assessment => ({
  raw: null,
  normalized: rubric.missing,
  explanation: `${what}: counted as the worst value, ${rubric.missing}.`,
});

/**
 * The rubric step that applies to `raw`, compared as `raw × scale ≤ at_most × scale` with
 * `scaledRaw` already an integer (vulnerabilities count in half-units, scale 2), so a bound
 * like 3 holds for raw 3 and not for 3.5 without comparing binary fractions.
 */
function applySteps(
  rubric: StepRubric,
  scaledRaw: number,
  scale: number,
): { normalized: number; rule: string } {
  for (const step of rubric.steps) {
    if (scaledRaw <= step.at_most * scale) {
      return { normalized: step.normalized, rule: `≤ ${step.at_most} → ${step.normalized}` };
    }
  }
  const last = rubric.steps[rubric.steps.length - 1]!;
  return { normalized: rubric.above, rule: `> ${last.at_most} → ${rubric.above}` };
}

function vulnerabilities(found: RiskInput['vulnerabilities'], rubric: StepRubric): Assessment {
  if (found === null) return missing('No vulnerability scan attached', rubric);
  // critical + 0.5 × high, held as the integer 2 × critical + high.
  const halfUnits = 2 * found.critical + found.high;
  const raw = halfUnits / 2;
  const { normalized, rule } = applySteps(rubric, halfUnits, 2);
  return {
    raw,
    normalized,
    explanation:
      `${found.critical} critical + 0.5 × ${found.high} high findings after VEX ` +
      `(exceptions do not remove findings) = ${raw}; ${rule}.`,
  };
}

function policyViolations(count: number, rubric: StepRubric): Assessment {
  const { normalized, rule } = applySteps(rubric, count, 1);
  return {
    raw: count,
    normalized,
    explanation: `${plural(count, 'policy rule', 'policy rules')} violated; ${rule}.`,
  };
}

function exceptionCount(count: number, rubric: StepRubric): Assessment {
  const { normalized, rule } = applySteps(rubric, count, 1);
  return {
    raw: count,
    normalized,
    explanation: `${plural(count, 'active approved exception', 'active approved exceptions')} applied; ${rule}.`,
  };
}

function testCoverage(coverage: number | null, rubric: ComplementPercentRubric): Assessment {
  if (coverage === null) {
    return missing('No lab test coverage (no lab evidence, or no coverage_percent in it)', rubric);
  }
  const clamped = coverage < 0 ? 0 : coverage > 100 ? 100 : coverage;
  const rounded = roundHalfUpPercent(clamped);
  const normalized = 100 - rounded;
  const clampNote = clamped === coverage ? '' : `, outside 0–100 so clamped to ${clamped}%`;
  return {
    raw: coverage,
    normalized,
    explanation:
      `Lab test coverage ${coverage}%${clampNote}, rounded half up to ${rounded}%; ` +
      `100 − ${rounded} = ${normalized}.`,
  };
}

function ring0Failures(ring0: RiskInput['ring0'], rubric: FailureRateRubric): Assessment {
  if (ring0 === null) return missing('No ring-0 test results attached', rubric);
  const { failed, total } = ring0;
  if (total === 0) {
    return missing('Ring-0 results report 0 tests, so they count as missing', rubric);
  }
  // The failure percentage to hundredths, for people; the rubric rounds the exact ratio.
  const raw = roundHalfUpRatio(10_000 * failed, total) / 100;
  if (failed === 0) {
    return { raw, normalized: 0, explanation: `0 of ${total} ring-0 tests failed → 0.` };
  }
  const percent = roundHalfUpRatio(100 * failed, total);
  const floor = rubric.minimum_on_failure;
  const normalized = Math.max(percent, floor);
  return {
    raw,
    normalized,
    explanation:
      `${failed} of ${total} ring-0 tests failed (${raw}%); ` +
      `max(${floor}, round_half_up(100 × ${failed} / ${total}) = ${percent}) = ${normalized}.`,
  };
}

function dependencyRisk(count: number | null, rubric: StepRubric): Assessment {
  if (count === null) {
    return missing('No SBOM attached, so the transitive dependency count is unknown', rubric);
  }
  const { normalized, rule } = applySteps(rubric, count, 1);
  return {
    raw: count,
    normalized,
    explanation: `${plural(count, 'transitive dependency', 'transitive dependencies')} in the SBOM; ${rule}.`,
  };
}

function artifactAge(
  input: RiskInput,
  buildMs: number | null,
  asOfMs: number,
  rubric: StepRubric,
): Assessment {
  if (buildMs === null) return missing('The artifact build_time is unknown', rubric);
  const days = wholeDaysBetween(buildMs, asOfMs);
  // A build time after as_of is clock skew on the build machine, not negative risk.
  const age = Math.max(days, 0);
  const { normalized, rule } = applySteps(rubric, age, 1);
  const when =
    days < 0
      ? `build_time ${input.artifact_build_time} is after as_of ${input.as_of} (clock skew?), so the age counts as 0 days`
      : `Built ${plural(age, 'whole day', 'whole days')} before as_of (build_time ${input.artifact_build_time}, as_of ${input.as_of})`;
  return { raw: age, normalized, explanation: `${when}; ${rule}.` };
}
