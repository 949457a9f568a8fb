import {
  FACTOR_NAMES,
  type FactorName,
  type RiskFactor,
  type RiskResult,
} from '../risk/risk-model.js';
import type { FactorDiff, FactorSnapshot, RiskDiff } from './pack-diff-types.js';

/**
 * Compares the stored risk results as they are: never re-scored, so a pack scored under
 * model 1.0 and one under 1.1 show both versions in `model_version` and the factors each
 * model produced. A factor is `changed` when its raw input, normalized value or weighted
 * contribution differs (`explanation` is prose derived from these and is not compared).
 */
export function diffRisk(before: RiskResult, after: RiskResult): RiskDiff {
  const factors = {} as Record<FactorName, FactorDiff>;
  const changedFactors: FactorName[] = [];
  for (const name of FACTOR_NAMES) {
    const from = snapshot(before.factors[name]);
    const to = snapshot(after.factors[name]);
    const changed =
      from.raw !== to.raw || from.normalized !== to.normalized || from.weighted !== to.weighted;
    factors[name] = { from, to, changed };
    if (changed) changedFactors.push(name);
  }
  return {
    score: { from: before.score, to: after.score, delta: after.score - before.score },
    recommendation: { from: before.recommendation, to: after.recommendation },
    model_version: { from: before.model_version, to: after.model_version },
    threshold_exceeded: { from: before.threshold_exceeded, to: after.threshold_exceeded },
    factors,
    changed_factors: changedFactors,
  };
}

function snapshot(factor: RiskFactor): FactorSnapshot {
  return { raw: factor.raw, normalized: factor.normalized, weighted: factor.weighted };
}
