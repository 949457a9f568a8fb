/** The risk domain's public surface: the pure scorer, the model registry, the route. */
export {
  parseInstant,
  roundHalfUpPercent,
  roundHalfUpRatio,
  wholeDaysBetween,
} from './exact-arithmetic.js';
export { RISK_MODEL_V1_0 } from './model-v1-0.js';
export {
  type ComplementPercentRubric,
  FACTOR_NAMES,
  type FactorName,
  type FailureRateRubric,
  RECOMMENDATIONS,
  type Recommendation,
  type RiskBand,
  type RiskFactor,
  type RiskInput,
  type RiskModel,
  type RiskResult,
  type RiskRubrics,
  type RiskThreshold,
  type Rubric,
  type RubricStep,
  type StepRubric,
} from './risk-model.js';
export {
  compareVersions,
  DEFAULT_RISK_MODEL_VERSION,
  getRiskModel,
  RISK_MODELS,
  UnknownRiskModelError,
} from './risk-registry.js';
export { registerRiskRoutes, riskModelSchema } from './risk-routes.js';
export { recommendationFor, scoreRisk } from './score-risk.js';
export {
  compareRiskResults,
  type FactorChange,
  type RiskComparison,
  shadowScore,
} from './shadow-score.js';
export { InvalidRiskInputError, validateRiskInput } from './validate-risk-input.js';
export { riskModelProblems } from './validate-risk-model.js';
