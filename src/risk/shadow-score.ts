import { FACTOR_NAMES, type FactorName, type RiskInput, type RiskResult } from './risk-model.js';
import { getRiskModel, RISK_MODELS } from './risk-registry.js';
import { scoreRisk } from './score-risk.js';

/**
 * Shadow scoring: the same frozen facts under several model versions, side by side. Nothing
 * is stored or replaced: a pack keeps the score of the version it was scored under, and this
 * answers "what would a candidate model have said?" before it becomes the default.
 */
export function shadowScore(
  input: RiskInput,
  versions: readonly string[] = Object.keys(RISK_MODELS),
): Record<string, RiskResult> {
  const results: Record<string, RiskResult> = {};
  for (const version of versions) results[version] = scoreRisk(input, getRiskModel(version));
  return results;
}

export interface FactorChange {
  factor: FactorName;
  normalized: { from: number; to: number };
  weighted: { from: number; to: number };
}

export interface RiskComparison {
  from_version: string;
  to_version: string;
  score: { from: number; to: number; delta: number };
  recommendation: { from: string; to: string; changed: boolean };
  threshold_exceeded: { from: boolean; to: boolean; changed: boolean };
  /** Factors whose normalized value or weight contribution differs, in factor order. */
  changed_factors: FactorChange[];
}

/** What changes between two results (two versions, or two pack versions, of one intent). */
export function compareRiskResults(from: RiskResult, to: RiskResult): RiskComparison {
  const changed_factors: FactorChange[] = [];
  for (const factor of FACTOR_NAMES) {
    const a = from.factors[factor];
    const b = to.factors[factor];
    if (a.normalized !== b.normalized || a.weighted !== b.weighted) {
      changed_factors.push({
        factor,
        normalized: { from: a.normalized, to: b.normalized },
        weighted: { from: a.weighted, to: b.weighted },
      });
    }
  }
  return {
    from_version: from.model_version,
    to_version: to.model_version,
    score: { from: from.score, to: to.score, delta: to.score - from.score },
    recommendation: {
      from: from.recommendation,
      to: to.recommendation,
      changed: from.recommendation !== to.recommendation,
    },
    threshold_exceeded: {
      from: from.threshold_exceeded,
      to: to.threshold_exceeded,
      changed: from.threshold_exceeded !== to.threshold_exceeded,
    },
    changed_factors,
  };
}
