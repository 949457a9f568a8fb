import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { commonErrors } from '../platform/http/schemas.js';
import { RECOMMENDATIONS, type RiskModel } from './risk-model.js';
import { DEFAULT_RISK_MODEL_VERSION, RISK_MODELS } from './risk-registry.js';

const percent = z.number().int().min(0).max(100);

const stepRubricSchema = z.object({
  kind: z.literal('steps'),
  input: z.string(),
  steps: z.array(z.object({ at_most: z.number(), normalized: percent })),
  above: percent,
  missing: percent,
});

const complementPercentRubricSchema = z.object({
  kind: z.literal('complement_percent'),
  input: z.string(),
  missing: percent,
});

const failureRateRubricSchema = z.object({
  kind: z.literal('failure_rate'),
  input: z.string(),
  minimum_on_failure: percent,
  missing: percent,
});

export const riskModelSchema = z
  .object({
    version: z.string(),
    weights: z.object({
      vulnerabilities: percent,
      policy_violations: percent,
      test_coverage: percent,
      exception_count: percent,
      ring_0_failures: percent,
      dependency_risk: percent,
      artifact_age: percent,
    }),
    rubrics: z.object({
      vulnerabilities: stepRubricSchema,
      policy_violations: stepRubricSchema,
      test_coverage: complementPercentRubricSchema,
      exception_count: stepRubricSchema,
      ring_0_failures: failureRateRubricSchema,
      dependency_risk: stepRubricSchema,
      artifact_age: stepRubricSchema,
    }),
    bands: z.array(
      z.object({ recommendation: z.enum(RECOMMENDATIONS), min: percent, max: percent }),
    ),
    threshold: z.object({ score_above: percent, on_policy_violation: z.boolean() }),
    default: z.boolean().describe('Whether new scores use this version when none is named'),
  })
  .meta({ id: 'RiskModel' });

type RiskModelView = z.input<typeof riskModelSchema>;

/** The registry entry as served: the same data the scorer reads, plus `default`. */
function viewOf(model: RiskModel): RiskModelView {
  const steps = (rubric: RiskModel['rubrics']['vulnerabilities']) => ({
    ...rubric,
    steps: rubric.steps.map((step) => ({ ...step })),
  });
  const { rubrics } = model;
  return {
    version: model.version,
    weights: { ...model.weights },
    rubrics: {
      vulnerabilities: steps(rubrics.vulnerabilities),
      policy_violations: steps(rubrics.policy_violations),
      test_coverage: { ...rubrics.test_coverage },
      exception_count: steps(rubrics.exception_count),
      ring_0_failures: { ...rubrics.ring_0_failures },
      dependency_risk: steps(rubrics.dependency_risk),
      artifact_age: steps(rubrics.artifact_age),
    },
    bands: model.bands.map((band) => ({ ...band })),
    threshold: { ...model.threshold },
    default: model.version === DEFAULT_RISK_MODEL_VERSION,
  };
}

export function registerRiskRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/risk-models',
    {
      config: { action: 'risk_models.read' },
      schema: {
        tags: ['risk'],
        summary: 'Registered risk models: weights, rubrics, bands and threshold of each version',
        response: { 200: z.object({ models: z.array(riskModelSchema) }), ...commonErrors },
      },
    },
    // The registry is built in ascending version order, so this lists oldest first.
    async () => ({ models: Object.values(RISK_MODELS).map(viewOf) }),
  );
}
