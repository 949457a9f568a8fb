/**
 * The risk model's data types: what the scorer takes (RiskInput), what a versioned model is
 * (RiskModel: weights, rubrics, bands and threshold as plain data, so the registry entry is
 * exactly what `GET /api/v1/risk-models` serves), and what scoring returns (RiskResult).
 * See docs/architecture/risk-model.md for the formula and the arithmetic.
 */

export const FACTOR_NAMES = [
  'vulnerabilities',
  'policy_violations',
  'test_coverage',
  'exception_count',
  'ring_0_failures',
  'dependency_risk',
  'artifact_age',
] as const;
export type FactorName = (typeof FACTOR_NAMES)[number];

export const RECOMMENDATIONS = ['LOW', 'MODERATE', 'CAUTION', 'HIGH', 'CRITICAL'] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];

/** The facts one score is computed from, already frozen by the caller (an evidence pack). */
export interface RiskInput {
  /** After VEX (not_affected / fixed removed); exceptions do NOT remove findings. null = no scan attached. */
  vulnerabilities: { critical: number; high: number } | null;
  /** Violated policy rules that remain, as the caller counts them (0 when none). */
  policy_violation_count: number;
  /** `coverage_percent` of the latest lab test evidence; null = no lab evidence or no coverage given. */
  lab_coverage_percent: number | null;
  /** Active approved exceptions applied. */
  exception_count: number;
  /** Latest ring-0 results; null = none attached. `total: 0` counts as missing too. */
  ring0: { failed: number; total: number } | null;
  /** From the SBOM summary; null = no SBOM. */
  transitive_dependency_count: number | null;
  /** ISO-8601 instant with an offset (or a plain date, read as UTC midnight); null = unknown. */
  artifact_build_time: string | null;
  /** ISO-8601 instant the facts were frozen; artifact age is measured up to it. */
  as_of: string;
}

export interface RiskFactor {
  /**
   * The factor's input as a number, or null when the evidence is missing. Counts for the
   * count factors; `critical + 0.5 × high` for vulnerabilities (a multiple of 0.5, exact);
   * the coverage percent as given; for ring 0 the failure percentage rounded half up to
   * hundredths (e.g. 33.33); whole days for artifact age.
   */
  raw: number | null;
  weight: number;
  /** Integer 0–100 from the factor's rubric. */
  normalized: number;
  /**
   * `weight × normalized / 100`: an integer count of hundredths divided by 100, so it has at
   * most two decimals and prints exactly (e.g. 12.5, 3.75). Informative only: the score is
   * summed from the integer products `weight × normalized`, never from these numbers.
   */
  weighted: number;
  explanation: string;
}

export interface RiskResult {
  score: number;
  model_version: string;
  recommendation: Recommendation;
  threshold_exceeded: boolean;
  factors: Record<FactorName, RiskFactor>;
}

/** `raw ≤ at_most → normalized`; steps ascend, the first that holds applies. */
export interface RubricStep {
  at_most: number;
  normalized: number;
}

/** A step table: the first step whose bound holds, `above` past the last one. */
export interface StepRubric {
  kind: 'steps';
  /** What `raw` is, for people reading the model. */
  input: string;
  steps: readonly RubricStep[];
  above: number;
  /** Normalized value when the evidence is missing: always the worst the rubric can give. */
  missing: number;
}

/** `normalized = 100 − round_half_up(raw)` with raw clamped to 0–100 (coverage). */
export interface ComplementPercentRubric {
  kind: 'complement_percent';
  input: string;
  missing: number;
}

/** 0 failed → 0; else `max(minimum_on_failure, round_half_up(100 × failed / total))`. */
export interface FailureRateRubric {
  kind: 'failure_rate';
  input: string;
  minimum_on_failure: number;
  missing: number;
}

export type Rubric = StepRubric | ComplementPercentRubric | FailureRateRubric;

/**
 * A factor's rubric kind is tied to its input's shape (coverage is a percent, ring 0 a
 * ratio, the rest counts), so a model may change bounds and values but not the kind.
 */
export interface RiskRubrics {
  vulnerabilities: StepRubric;
  policy_violations: StepRubric;
  test_coverage: ComplementPercentRubric;
  exception_count: StepRubric;
  ring_0_failures: FailureRateRubric;
  dependency_risk: StepRubric;
  artifact_age: StepRubric;
}

/** Inclusive integer score range of one recommendation. */
export interface RiskBand {
  recommendation: Recommendation;
  min: number;
  max: number;
}

/** CAB review is required when `score > score_above`, or on any policy violation if set. */
export interface RiskThreshold {
  score_above: number;
  on_policy_violation: boolean;
}

export interface RiskModel {
  /** `major.minor`, e.g. "1.0". Never reused for different numbers. */
  version: string;
  /** Integers summing to 100. */
  weights: Readonly<Record<FactorName, number>>;
  rubrics: Readonly<RiskRubrics>;
  /** Ascending, contiguous, covering 0–100. */
  bands: readonly RiskBand[];
  threshold: Readonly<RiskThreshold>;
}
