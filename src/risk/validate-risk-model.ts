import {
  FACTOR_NAMES,
  RECOMMENDATIONS,
  type RiskModel,
  type Rubric,
  type StepRubric,
} from './risk-model.js';

const isPercent = (n: number) => Number.isInteger(n) && n >= 0 && n <= 100;

/**
 * Every problem with a model definition, or none. The registry refuses to load a model with
 * any, so a mistyped new version fails at start-up (and in its test), never as a wrong score.
 * The rules are the ones the scorer and DESIGN.md rely on: integer weights summing to 100,
 * integer normalized values 0–100 that never fall as raw risk rises (so more risk never
 * lowers a score), missing evidence scored as the worst value, bands tiling 0–100.
 */
export function riskModelProblems(model: RiskModel): string[] {
  const problems: string[] = [];
  if (!/^\d+\.\d+$/.test(model.version)) {
    problems.push(`version "${model.version}" is not major.minor`);
  }
  let weightSum = 0;
  for (const name of FACTOR_NAMES) {
    const weight = model.weights[name];
    if (!isPercent(weight)) problems.push(`weight of ${name} is not an integer 0–100`);
    weightSum += weight;
    problems.push(...rubricProblems(name, model.rubrics[name]));
  }
  if (weightSum !== 100) problems.push(`weights sum to ${weightSum}, not 100`);
  problems.push(...bandProblems(model));
  if (!isPercent(model.threshold.score_above)) {
    problems.push('threshold.score_above is not an integer 0–100');
  }
  return problems;
}

function rubricProblems(name: string, rubric: Rubric): string[] {
  const problems: string[] = [];
  if (rubric.missing !== 100) {
    // Every kind can reach 100 (steps: `above`, checked below), so worst is always 100.
    problems.push(`${name}: missing evidence must score the worst value, 100`);
  }
  if (rubric.kind === 'steps') problems.push(...stepProblems(name, rubric));
  if (rubric.kind === 'failure_rate' && !isPercent(rubric.minimum_on_failure)) {
    problems.push(`${name}: minimum_on_failure is not an integer 0–100`);
  }
  return problems;
}

function stepProblems(name: string, rubric: StepRubric): string[] {
  const problems: string[] = [];
  if (rubric.steps.length === 0) problems.push(`${name}: no steps`);
  let previous: { at_most: number; normalized: number } | undefined;
  for (const step of rubric.steps) {
    // Bounds are compared with raw counts (vulnerabilities: in half-units, bound × 2), so
    // any finite bound compares exactly; a bound below 0 could never hold.
    if (!Number.isFinite(step.at_most) || step.at_most < 0) {
      problems.push(`${name}: bound ${step.at_most} is not a finite number ≥ 0`);
    }
    if (!isPercent(step.normalized)) {
      problems.push(`${name}: normalized ${step.normalized} is not an integer 0–100`);
    }
    if (previous && !(step.at_most > previous.at_most)) {
      problems.push(`${name}: bounds must ascend (${previous.at_most} then ${step.at_most})`);
    }
    if (previous && step.normalized < previous.normalized) {
      problems.push(`${name}: normalized values must not fall as raw risk rises`);
    }
    previous = step;
  }
  if (rubric.above !== 100) problems.push(`${name}: above the last step must score 100`);
  return problems;
}

function bandProblems(model: RiskModel): string[] {
  const problems: string[] = [];
  let next = 0;
  for (const band of model.bands) {
    if (band.min !== next || !Number.isInteger(band.max) || band.max < band.min) {
      problems.push(`band ${band.recommendation} must start at ${next} and not end before it`);
    }
    next = band.max + 1;
  }
  if (next !== 101) problems.push('bands must end at 100');
  const names = model.bands.map((b) => b.recommendation).join(',');
  if (names !== RECOMMENDATIONS.join(',')) {
    problems.push(`bands must be ${RECOMMENDATIONS.join(', ')} in that order`);
  }
  return problems;
}
