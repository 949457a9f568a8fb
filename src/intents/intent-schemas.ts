/**
 * The wire shapes of deployment intents. These check shape and bounds only (400, with the
 * JSON path of each problem); rules that relate fields to each other live in
 * intent-rules.ts and answer 422. Every object is strict: unknown and server-owned keys
 * (`id`, `status`, `created_by`, …) are refused, never ignored.
 */
import { z } from 'zod';
import { isoDateTime, pageQuery } from '../platform/http/schemas.js';
import {
  DEFAULT_INSTALL_TIMEOUT_SECONDS,
  DEFAULT_UNINSTALL_TIMEOUT_SECONDS,
  DETECTION_METHODS,
  INTENT_STATUSES,
  MAX_RINGS,
  PLANES,
  ROLLBACK_STRATEGIES,
  TIMEOUT_MAX_SECONDS,
  TIMEOUT_MIN_SECONDS,
} from './intent-rules.js';

/** A year: no rollout ring is planned further out or lasts longer. */
const MAX_HOURS = 8_760;
const MAX_RING_SIZE = 10_000_000;

/** Free text that must say something: whitespace alone is refused. */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => value.trim() !== '', { message: 'must not be blank' });

const timeout = z.number().int().min(TIMEOUT_MIN_SECONDS).max(TIMEOUT_MAX_SECONDS);

export const sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hexadecimal digits (a SHA-256)' });

const ringInput = z.strictObject({
  name: text(100),
  target_group: text(200),
  size: z.number().int().min(1).max(MAX_RING_SIZE),
  start_offset_hours: z.number().min(0).max(MAX_HOURS),
  duration_hours: z.number().gt(0).max(MAX_HOURS),
  exclusions: z.array(text(200)).max(100).default([]),
});

const rolloutPlanInput = z.strictObject({
  rings: z.array(ringInput).min(1).max(MAX_RINGS),
});

const rollbackPlanInput = z.strictObject({
  strategy: z.enum(ROLLBACK_STRATEGIES),
  previous_version: text(100).optional(),
  steps: z.array(text(1000)).max(50).optional(),
});

/** Each declared field once, without defaults, so POST and PATCH share the same checks. */
const fields = {
  app_name: text(200),
  app_version: text(100),
  plane: z.enum(PLANES),
  artifact_sha256: sha256Hex,
  install_command: text(8_191),
  install_timeout_seconds: timeout,
  uninstall_command: text(8_191),
  uninstall_timeout_seconds: timeout,
  detection_method: z.enum(DETECTION_METHODS),
  detection_query: text(16_384),
  rollout_plan: rolloutPlanInput,
  rollback_plan: rollbackPlanInput,
  justification: text(10_000),
};

export const createIntentBody = z.strictObject({
  ...fields,
  install_timeout_seconds: timeout.default(DEFAULT_INSTALL_TIMEOUT_SECONDS),
  uninstall_timeout_seconds: timeout.default(DEFAULT_UNINSTALL_TIMEOUT_SECONDS),
});

/** A PATCH names the fields it replaces; nested plans are replaced whole, not merged. */
export const patchIntentBody = z
  .strictObject(fields)
  .partial()
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field' });

export const listIntentsQuery = z.strictObject({
  ...pageQuery,
  status: z.enum(INTENT_STATUSES).optional(),
  plane: z.enum(PLANES).optional(),
  app_name: z.string().max(200).optional(),
  created_by: z.string().max(100).optional(),
});

export const patchIntentHeaders = z.looseObject({
  'if-match': z
    .string()
    .max(100)
    .optional()
    .describe('The revision the change is based on; refused with 409 when it is no longer current'),
});

const ring = z.object({
  name: z.string(),
  target_group: z.string(),
  size: z.number().int(),
  start_offset_hours: z.number(),
  duration_hours: z.number(),
  exclusions: z.array(z.string()),
});

export const intentSchema = z
  .object({
    id: z.string(),
    status: z.enum(INTENT_STATUSES),
    revision: z.number().int(),
    created_by: z.string(),
    created_at: isoDateTime,
    updated_at: isoDateTime,
    app_name: z.string(),
    app_version: z.string(),
    plane: z.enum(PLANES),
    artifact_sha256: z.string(),
    artifact: z.object({
      sha256: z.string(),
      size_bytes: z.number().int(),
      publisher: z.string(),
      filename: z.string(),
      build_time: z.string().nullable(),
    }),
    install_command: z.string(),
    install_timeout_seconds: z.number().int(),
    uninstall_command: z.string(),
    uninstall_timeout_seconds: z.number().int(),
    detection_method: z.enum(DETECTION_METHODS),
    detection_query: z.string(),
    rollout_plan: z.object({ rings: z.array(ring) }),
    rollback_plan: z.object({
      strategy: z.enum(ROLLBACK_STRATEGIES),
      previous_version: z.string().optional(),
      steps: z.array(z.string()).optional(),
    }),
    justification: z.string(),
  })
  .meta({ id: 'Intent' });
