import { UnprocessableError } from '../platform/errors.js';
import { RISK_MODEL_V1_0 } from './model-v1-0.js';
import type { RiskModel } from './risk-model.js';
import { riskModelProblems } from './validate-risk-model.js';

/** The version new scores use when the caller names none. */
export const DEFAULT_RISK_MODEL_VERSION = '1.0';

/** A model version that is not registered: 422 with reason `unknown_model_version`. */
export class UnknownRiskModelError extends UnprocessableError {
  readonly knownVersions: readonly string[];

  constructor(version: string, knownVersions: readonly string[]) {
    super(
      `Unknown risk model version "${version}"; known versions: ${knownVersions.join(', ')}.`,
      [],
      'unknown_model_version',
    );
    this.knownVersions = knownVersions;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** `"1.10"` sorts after `"1.9"`: versions compare as numbers, major then minor. */
export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/**
 * Checks, freezes and indexes model definitions. Throws at load on a bad or duplicated
 * definition, so a broken registry never serves a score.
 */
export function buildRegistry(
  models: readonly RiskModel[],
  defaultVersion: string,
): Readonly<Record<string, RiskModel>> {
  const registry: Record<string, RiskModel> = Object.create(null);
  for (const model of [...models].sort((a, b) => compareVersions(a.version, b.version))) {
    const problems = riskModelProblems(model);
    if (problems.length > 0) {
      throw new Error(`risk model ${model.version} is invalid: ${problems.join('; ')}`);
    }
    if (Object.hasOwn(registry, model.version)) {
      throw new Error(`risk model ${model.version} is registered twice`);
    }
    registry[model.version] = deepFreeze(model);
  }
  if (!Object.hasOwn(registry, defaultVersion)) {
    throw new Error(`the default risk model ${defaultVersion} is not registered`);
  }
  return Object.freeze(registry);
}

/**
 * Every registered model by version, ascending. Adding a version means adding its
 * definition here; existing entries never change (a stored score names its version and is
 * never recomputed in place).
 */
export const RISK_MODELS: Readonly<Record<string, RiskModel>> = buildRegistry(
  [RISK_MODEL_V1_0],
  DEFAULT_RISK_MODEL_VERSION,
);

/** The registered model of that version, or UnknownRiskModelError (422). */
export function getRiskModel(version: string = DEFAULT_RISK_MODEL_VERSION): RiskModel {
  // The registry has no prototype, so "__proto__" or "constructor" are simply unknown.
  const model = RISK_MODELS[version];
  if (!model) throw new UnknownRiskModelError(version, Object.keys(RISK_MODELS));
  return model;
}
