/**
 * The wire shapes of exceptions. These check shape and bounds only (400, with the JSON path
 * of each problem); rules that need the clock, the configuration or the rule catalogue live
 * in exception-rules.ts and answer 422. Every object is strict: unknown and server-owned
 * keys (`status`, `approved_by`, `requested_by`, …) are refused, never ignored.
 */
import { z } from 'zod';
import { isoDateTime, pageQuery } from '../platform/http/schemas.js';
import { EXCEPTION_STATUSES, EXCEPTION_TYPES } from './exception-rules.js';

/** Free text that must say something; stored trimmed. */
const text = (max: number) => z.string().trim().min(1, { message: 'must not be blank' }).max(max);

const sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hexadecimal digits (a SHA-256)' });

/** The scan parser's finding id: `<vulnerability_id>|<package>|<installed_version>`. */
const findingId = z
  .string()
  .max(1_000)
  .regex(/^[^|]+\|.+\|[^|]*$/, {
    message: 'must be a finding id "<vulnerability_id>|<package>|<installed_version>"',
  });

const ruleId = z.string().min(1).max(100);

export const requestExceptionBody = z.strictObject({
  exception_type: z.enum(EXCEPTION_TYPES),
  scope: z.strictObject({
    artifact_sha256: sha256Hex,
    finding_ids: z.array(findingId).max(1_000).optional(),
    rule_ids: z.array(ruleId).max(100).optional(),
  }),
  description: text(10_000),
  compensating_controls: text(10_000),
  expires_at: isoDateTime,
});

export const approveExceptionBody = z.strictObject({ verification_steps: text(10_000) });
export const reasonBody = z.strictObject({ reason: text(10_000) });

export const listExceptionsQuery = z.strictObject({
  ...pageQuery,
  status: z.enum(EXCEPTION_STATUSES).optional(),
  artifact_sha256: sha256Hex.optional(),
  requested_by: z.string().max(100).optional(),
  expiring_within_days: z.coerce.number().int().min(1).max(3_650).optional(),
});

const exceptionState = {
  id: z.string(),
  exception_type: z.enum(EXCEPTION_TYPES),
  scope: z.object({
    artifact_sha256: z.string(),
    finding_ids: z.array(z.string()),
    rule_ids: z.array(z.string()),
  }),
  description: z.string(),
  compensating_controls: z.string(),
  compensating_control_verification: z.string().nullable(),
  expires_at: isoDateTime,
  status: z.enum(EXCEPTION_STATUSES),
  requested_by: z.string(),
  requested_at: isoDateTime,
  approved_by: z.string().nullable(),
  approved_at: isoDateTime.nullable(),
  decided_by: z.string().nullable(),
  decided_at: isoDateTime.nullable(),
  decided_reason: z.string().nullable(),
  revision: z.number().int(),
  updated_at: isoDateTime,
};

export const exceptionSchema = z
  .object({
    ...exceptionState,
    days_until_expiry: z
      .number()
      .int()
      .describe('Whole days until expires_at, rounded down, computed when read; 0 once expired'),
  })
  .meta({ id: 'Exception' });

export const exceptionVersionSchema = z
  .object({
    revision: z.number().int(),
    transition: z.enum(['requested', 'approved', 'rejected', 'revoked', 'expired']),
    changed_by: z.string(),
    changed_at: isoDateTime,
    snapshot: z.object(exceptionState),
  })
  .meta({ id: 'ExceptionVersion' });
