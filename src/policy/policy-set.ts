import { z } from 'zod';
import { RULE_IDS } from './rule-catalogue.js';

const bounds = z
  .strictObject({
    min: z.number().int().min(1).max(86_400),
    max: z.number().int().min(1).max(86_400),
  })
  .refine((b) => b.min <= b.max, { message: 'min must not exceed max' });

/** What an admin may tune in a policy set; every rule of the catalogue always applies. */
export const policyConfigSchema = z.strictObject({
  denied_licenses: z.array(z.string().trim().min(1).max(100)).max(500),
  install_timeout_seconds: bounds,
  uninstall_timeout_seconds: bounds,
  /** Rules switched off in this set (recorded, so a pack shows what was not checked). */
  disabled_rules: z
    .array(z.enum(RULE_IDS as [string, ...string[]]))
    .max(RULE_IDS.length)
    .default([]),
});

export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export interface PolicySet {
  version: string;
  config: PolicyConfig;
  created_by: string;
  created_at: string;
  description: string;
}

/** The built-in set every database starts with. */
export const DEFAULT_POLICY_SET: PolicySet = {
  version: '1.0',
  description: 'cabinet default policy set',
  created_by: 'system',
  created_at: '2026-01-01T00:00:00.000Z',
  config: {
    denied_licenses: [
      'AGPL-1.0-only',
      'AGPL-1.0-or-later',
      'AGPL-3.0-only',
      'AGPL-3.0-or-later',
      'SSPL-1.0',
    ],
    install_timeout_seconds: { min: 30, max: 3_600 },
    uninstall_timeout_seconds: { min: 30, max: 3_600 },
    disabled_rules: [],
  },
};

/** "1.0" → "1.1": a new set bumps the minor number. */
export function nextPolicyVersion(latest: string): string {
  const [major, minor] = latest.split('.').map(Number);
  return `${major ?? 1}.${(minor ?? 0) + 1}`;
}
