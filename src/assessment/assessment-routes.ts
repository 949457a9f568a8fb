import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { commonErrors, idParams, isoDateTime } from '../platform/http/schemas.js';
import { RULE_IDS } from '../policy/rule-catalogue.js';
import type { AssessmentService } from './assessment-service.js';

const violationSchema = z.object({
  rule_id: z.enum(RULE_IDS as [string, ...string[]]),
  severity: z.string(),
  message: z.string(),
  finding_ids: z.array(z.string()),
  component_ids: z.array(z.string()),
});

export const policyResultSchema = z
  .object({
    approved: z.boolean(),
    violations: z.array(violationSchema),
    waived: z.array(violationSchema.extend({ waived_by: z.array(z.string()) })),
    exceptions_applied: z.array(z.string()),
    rules_checked: z.array(z.string()),
    trusted_publisher: z
      .object({
        in_force: z.array(z.object({ id: z.string(), revision: z.number().int() })),
        matched: z
          .object({ id: z.string(), name: z.string(), revision: z.number().int() })
          .nullable(),
      })
      .optional()
      .describe('What artifact_signed relied on; present once any trusted publisher exists'),
  })
  .meta({ id: 'PolicyResult' });

const factorSchema = z.object({
  raw: z.number().nullable(),
  weight: z.number(),
  normalized: z.number(),
  weighted: z.number(),
  explanation: z.string(),
});

export const riskResultSchema = z
  .object({
    score: z.number().int(),
    model_version: z.string(),
    recommendation: z.enum(['LOW', 'MODERATE', 'CAUTION', 'HIGH', 'CRITICAL']),
    threshold_exceeded: z.boolean(),
    factors: z.record(z.string(), factorSchema),
  })
  .meta({ id: 'RiskResult' });

export function registerAssessmentRoutes(
  app: FastifyInstance,
  deps: { assessment: AssessmentService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/intents/:id/policy-preview',
    {
      config: { action: 'policy.preview' },
      schema: {
        tags: ['policy'],
        summary: 'Evaluate the current policy set on an intent’s current evidence; stores nothing',
        params: idParams,
        response: {
          200: policyResultSchema.extend({
            as_of: isoDateTime,
            policy_set_version: z.string(),
            vex_suppressed: z.array(
              z.object({
                finding_id: z.string(),
                status: z.string(),
                vulnerability_id: z.string(),
              }),
            ),
          }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const assessment = await deps.assessment.assess(request.params.id);
      return {
        ...assessment.policy,
        as_of: assessment.snapshot.as_of,
        policy_set_version: assessment.policy_set.version,
        vex_suppressed: assessment.vex_suppressed,
      };
    },
  );

  r.post(
    '/api/v1/intents/:id/risk-preview',
    {
      config: { action: 'risk.preview' },
      schema: {
        tags: ['risk'],
        summary: 'Score an intent’s current evidence under a registered model; stores nothing',
        params: idParams,
        querystring: z.strictObject({ model: z.string().max(20).optional() }),
        response: {
          200: riskResultSchema.extend({ as_of: isoDateTime, policy_set_version: z.string() }),
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const assessment = await deps.assessment.assess(request.params.id, {
        modelVersion: request.query.model,
      });
      return {
        ...assessment.risk,
        as_of: assessment.snapshot.as_of,
        policy_set_version: assessment.policy_set.version,
      };
    },
  );
}
