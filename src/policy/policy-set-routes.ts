import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { createOnce } from '../platform/http/idempotency.js';
import { commonErrors, isoDateTime } from '../platform/http/schemas.js';
import { policyConfigSchema } from './policy-set.js';
import type { PolicySetService } from './policy-set-service.js';

const policySetSchema = z
  .object({
    version: z.string(),
    description: z.string(),
    config: policyConfigSchema,
    created_by: z.string(),
    created_at: isoDateTime,
  })
  .meta({ id: 'PolicySet' });

export function registerPolicySetRoutes(
  app: FastifyInstance,
  deps: { database: Database; clock: Clock; policySets: PolicySetService },
): void {
  const { policySets } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/policy-sets',
    {
      config: { action: 'policy_sets.read' },
      schema: {
        tags: ['policy'],
        summary: 'Every policy set version, oldest first; the last is in force',
        response: {
          200: z.object({ policy_sets: z.array(policySetSchema), current_version: z.string() }),
          ...commonErrors,
        },
      },
    },
    async () => {
      const sets = await policySets.list();
      return { policy_sets: sets, current_version: sets[sets.length - 1]!.version };
    },
  );

  r.get(
    '/api/v1/policy-sets/:version',
    {
      config: { action: 'policy_sets.read' },
      schema: {
        tags: ['policy'],
        summary: 'One policy set version',
        params: z.strictObject({ version: z.string().max(20) }),
        response: { 200: policySetSchema, ...commonErrors },
      },
    },
    async (request) => policySets.get(request.params.version),
  );

  r.post(
    '/api/v1/policy-sets',
    {
      config: { action: 'policy_sets.manage' },
      schema: {
        tags: ['policy'],
        summary: 'Add a new policy set version (admin); it is in force from now on',
        body: z.strictObject({
          description: z.string().trim().min(1).max(500),
          config: policyConfigSchema,
        }),
        response: { 201: policySetSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      createOnce(deps, request, reply, 201, (trx) =>
        policySets.add(trx, request.ctx, request.body),
      ),
  );
}
