/**
 * Approval policies: how many CAB approvals a request needs, by the pack's risk band, and
 * whether a security reviewer must be among the approvers. Versioned and never edited; a
 * request keeps the version it was submitted under. Pure: data in, data out.
 */
import type { Recommendation } from '../risk/risk-model.js';

export interface BandRule {
  approvals: number;
  security_reviewer_required?: boolean;
}

export interface ApprovalPolicyConfig {
  bands: Record<Recommendation, BandRule>;
  emergency: BandRule;
}

export interface ApprovalPolicy extends ApprovalPolicyConfig {
  version: string;
  created_by: string;
  created_at: string;
}

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicyConfig & { version: string } = {
  version: '1.0',
  bands: {
    LOW: { approvals: 1 },
    MODERATE: { approvals: 1 },
    CAUTION: { approvals: 1 },
    HIGH: { approvals: 2 },
    CRITICAL: { approvals: 2, security_reviewer_required: true },
  },
  emergency: { approvals: 1 },
};

export type ChangeType = 'standard' | 'normal' | 'emergency';

export interface Requirement {
  approvals: number;
  security_reviewer_required: boolean;
}

/** What a request of this band and change type needs under this policy. */
export function requirementFor(
  policy: ApprovalPolicyConfig,
  band: Recommendation,
  changeType: ChangeType,
): Requirement {
  const rule = changeType === 'emergency' ? policy.emergency : policy.bands[band];
  return {
    approvals: rule.approvals,
    security_reviewer_required: rule.security_reviewer_required === true,
  };
}
