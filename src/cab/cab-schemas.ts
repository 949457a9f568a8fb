/**
 * The wire shapes of the CAB workflow: shape and bounds only (400 with the JSON path of each
 * problem). Rules that need the request (ring names, due dates, state) live in the service
 * and the state machine and answer 409/422. Every body is strict: server-owned keys
 * (`status`, `approved_by`, `reviewer`, …) are refused, never ignored.
 */
import { z } from 'zod';
import { PLANES } from '../intents/intent-rules.js';
import { isoDateTime } from '../platform/http/schemas.js';
import { RECOMMENDATIONS } from '../risk/risk-model.js';
import { CAB_STATUSES } from './cab-rules.js';
import { SORTS } from './cab-store.js';

const text = (max: number) => z.string().trim().min(1, { message: 'must not be blank' }).max(max);

export const CHANGE_TYPES = ['standard', 'normal', 'emergency'] as const;

export const submitBody = z.strictObject({
  evidence_pack_id: z.string().min(1).max(100),
  justification: text(10_000),
  emergency: z.boolean().optional(),
});

export const conditionInput = z.strictObject({
  text: text(2_000),
  blocks_rollout: z.boolean().optional(),
  before_ring: z.string().min(1).max(200).nullable().optional(),
  due_at: isoDateTime.nullable().optional(),
});

export const approveBody = z.strictObject({
  notes: text(10_000).optional(),
  conditions: z.array(conditionInput).max(50).optional(),
});

export const denyBody = z.strictObject({ reason: text(10_000) });
export const commentBody = z.strictObject({ text: text(10_000) });
export const verifyConditionBody = z.strictObject({ notes: text(10_000) });
export const postReviewBody = z.strictObject({
  notes: text(10_000),
  outcome: z.enum(['successful', 'issues', 'failed']),
});

export const listQuery = z.strictObject({
  status: z.enum(CAB_STATUSES).optional(),
  recommendation: z.enum(RECOMMENDATIONS).optional(),
  plane: z.enum(PLANES).optional(),
  change_type: z.enum(CHANGE_TYPES).optional(),
  submitted_by: z.string().min(1).max(100).optional(),
  intent_id: z.string().min(1).max(100).optional(),
  sort: z.enum(SORTS).default('-submitted_at'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});

export const gateQuery = z.strictObject({ ring: z.string().min(1).max(200) });

const conditionSchema = z.object({
  id: z.string(),
  text: z.string(),
  blocks_rollout: z.boolean(),
  before_ring: z.string().nullable(),
  due_at: z.string().nullable(),
});

const severityCounts = z.object({
  critical: z.number(),
  high: z.number(),
  medium: z.number(),
  low: z.number(),
  unknown: z.number(),
});

const summaryShape = {
  id: z.string(),
  evidence_pack: z.object({ id: z.string(), version: z.string(), digest: z.string() }),
  deployment_intent: z.string(),
  artifact_sha256: z.string(),
  app_name: z.string(),
  app_version: z.string(),
  plane: z.string(),
  change_type: z.enum(CHANGE_TYPES),
  risk_score: z.number().int(),
  risk_model_version: z.string(),
  recommendation: z.enum(RECOMMENDATIONS),
  risk_threshold_exceeded: z.boolean(),
  policy_violations: z.record(z.string(), z.unknown()),
  violation_count: z.number().int(),
  finding_counts: severityCounts,
  exception_count: z.number().int(),
  exception_ids: z.array(z.string()),
  submitted_at: z.string(),
  submitted_by: z.string(),
  submitted_by_email: z.string().nullable(),
  submission_justification: z.string(),
  status: z.enum(CAB_STATUSES),
  approvals_required: z.number().int(),
  security_reviewer_required: z.boolean(),
  approval_policy_version: z.string(),
  votes_so_far: z.object({ approvals: z.number(), denials: z.number(), required: z.number() }),
  reviewed_at: z.string().nullable(),
  reviewed_by: z.string().nullable(),
  review_notes: z.string().nullable(),
  authorization_expires_at: z.string().nullable(),
  stale: z.boolean(),
  stale_reasons: z.array(
    z.object({ code: z.string(), exception_id: z.string(), message: z.string(), at: z.string() }),
  ),
  post_review_due_at: z.string().nullable(),
  superseded_by: z.string().nullable(),
  rings: z.array(z.string()),
  revision: z.number().int(),
  updated_at: z.string(),
};

export const requestSummarySchema = z.object(summaryShape).meta({ id: 'CabRequestSummary' });

export const requestDetailSchema = z
  .object({
    ...summaryShape,
    approval_conditions: z.array(
      conditionSchema.extend({
        verified: z.boolean(),
        verified_by: z.string().nullable(),
        verified_at: z.string().nullable(),
        verification_notes: z.string().nullable(),
      }),
    ),
    votes: z.array(
      z.object({
        reviewer: z.string(),
        reviewer_email: z.string(),
        reviewer_roles: z.array(z.string()),
        decision: z.enum(['approve', 'deny']),
        notes: z.string().nullable(),
        conditions: z.array(conditionSchema),
        at: z.string(),
      }),
    ),
    comments: z.array(
      z.object({ id: z.string(), author: z.string(), text: z.string(), at: z.string() }),
    ),
    post_review: z
      .object({ reviewer: z.string(), outcome: z.string(), notes: z.string(), at: z.string() })
      .nullable(),
    attestation_available: z.boolean(),
    pack_summary: z.record(z.string(), z.unknown()),
    risk: z.record(z.string(), z.unknown()),
    policy: z.object({
      approved: z.boolean(),
      policy_set_version: z.string(),
      violations: z.record(z.string(), z.unknown()),
      waived: z.array(z.unknown()),
    }),
    exceptions: z.array(
      z.object({
        id: z.string(),
        exception_type: z.string(),
        status: z.string(),
        expires_at: z.string(),
        days_until_expiry: z.number().int(),
        finding_ids: z.array(z.string()),
        rule_ids: z.array(z.string()),
      }),
    ),
    diff: z.record(z.string(), z.unknown()).nullable(),
    audit_events: z.array(z.record(z.string(), z.unknown())),
  })
  .meta({ id: 'CabRequest' });

export const gateSchema = z
  .object({
    request_id: z.string(),
    ring: z.string(),
    allowed: z.boolean(),
    status: z.enum(CAB_STATUSES),
    authorization_expires_at: z.string().nullable(),
    reasons: z.array(z.object({ code: z.string(), message: z.string() })),
    checked_at: z.string(),
  })
  .meta({ id: 'CabGate' });

export const envelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
});

const bandRule = z.strictObject({
  approvals: z.number().int().min(1).max(20),
  security_reviewer_required: z.boolean().optional(),
});

export const approvalPolicyBody = z.strictObject({
  version: z.string().regex(/^\d{1,6}\.\d{1,6}$/, { message: 'must be MAJOR.MINOR, e.g. 1.1' }),
  bands: z.strictObject({
    LOW: bandRule,
    MODERATE: bandRule,
    CAUTION: bandRule,
    HIGH: bandRule,
    CRITICAL: bandRule,
  }),
  emergency: bandRule,
});

const bandView = z.object({
  approvals: z.number().int(),
  security_reviewer_required: z.boolean().optional(),
});

export const approvalPolicySchema = z
  .object({
    version: z.string(),
    bands: z.object({
      LOW: bandView,
      MODERATE: bandView,
      CAUTION: bandView,
      HIGH: bandView,
      CRITICAL: bandView,
    }),
    emergency: bandView,
    created_by: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'ApprovalPolicy' });
