/**
 * The business rules of exceptions, as pure functions: data in, located problems (or
 * derived values) out. The HTTP schemas (exception-schemas.ts) check shape and bounds
 * (400); these check what needs the clock, the configuration or the rule catalogue, and
 * answer 422. docs/architecture/exception-management.md holds the same rules for humans.
 */

import type { ProblemDetail } from '../platform/errors.js';
import { quote } from '../platform/text/quote.js';
import { isRuleId } from '../policy/rule-catalogue.js';

export const EXCEPTION_TYPES = [
  'vuln_critical',
  'vuln_high',
  'policy_violation',
  'missing_evidence',
] as const;
export type ExceptionType = (typeof EXCEPTION_TYPES)[number];

/** Stored states; `expired` is also what an approved one past its expiry reads as. */
export const EXCEPTION_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'revoked',
  'expired',
] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

export type Transition = 'requested' | 'approved' | 'rejected' | 'revoked' | 'expired';

/**
 * What each type waives: a vulnerability exception names scan findings, the others name
 * policy rules. One kind of id per type keeps "what is waived" unambiguous for the policy
 * engine and for the reviewer.
 */
export const SCOPE_KIND: Record<ExceptionType, 'finding_ids' | 'rule_ids'> = {
  vuln_critical: 'finding_ids',
  vuln_high: 'finding_ids',
  policy_violation: 'rule_ids',
  missing_evidence: 'rule_ids',
};

export const DAY_MS = 86_400_000;

/** A reason code per rule, so clients can act on the first problem without parsing text. */
export interface RuleProblem extends ProblemDetail {
  reason: string;
}

export interface RequestFacts {
  exception_type: ExceptionType;
  finding_ids: readonly string[];
  rule_ids: readonly string[];
  expires_at: Date;
}

/** Every rule a request breaks (the artifact's existence is checked by the service). */
export function validateRequest(facts: RequestFacts, now: Date, maxDays: number): RuleProblem[] {
  return [...expiryProblems(facts.expires_at, now, maxDays), ...scopeProblems(facts)];
}

function expiryProblems(expiresAt: Date, now: Date, maxDays: number): RuleProblem[] {
  if (expiresAt.getTime() <= now.getTime()) {
    return [
      {
        path: '/expires_at',
        message: `must be in the future (it is ${expiresAt.toISOString()}, now is ${now.toISOString()})`,
        reason: 'expiry_not_in_future',
      },
    ];
  }
  const latest = new Date(now.getTime() + maxDays * DAY_MS);
  if (expiresAt.getTime() > latest.getTime()) {
    return [
      {
        path: '/expires_at',
        message: `must be at most ${maxDays} days ahead, i.e. no later than ${latest.toISOString()}`,
        reason: 'expiry_too_far',
      },
    ];
  }
  return [];
}

function scopeProblems(facts: RequestFacts): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const wanted = SCOPE_KIND[facts.exception_type];
  const other = wanted === 'finding_ids' ? 'rule_ids' : 'finding_ids';
  if (facts[wanted].length === 0) {
    const what = wanted === 'finding_ids' ? 'finding id' : 'rule id';
    problems.push({
      path: `/scope/${wanted}`,
      message: `a ${facts.exception_type} exception waives exactly what it names: name at least one ${what}`,
      reason: 'scope_empty',
    });
  }
  if (facts[other].length > 0) {
    problems.push({
      path: `/scope/${other}`,
      message: `a ${facts.exception_type} exception names ${wanted.replace('_ids', ' ids')} only; ${other === 'rule_ids' ? 'waive rules with a policy_violation or missing_evidence exception' : 'waive findings with a vuln_critical or vuln_high exception'}`,
      reason: 'scope_mismatch',
    });
  }
  facts.rule_ids.forEach((id, index) => {
    if (!isRuleId(id)) {
      problems.push({
        path: `/scope/rule_ids/${index}`,
        message: `no policy rule ${quote(id)} exists`,
        reason: 'unknown_rule',
      });
    }
  });
  for (const name of ['finding_ids', 'rule_ids'] as const) {
    const seen = new Set<string>();
    facts[name].forEach((id, index) => {
      if (seen.has(id)) {
        problems.push({
          path: `/scope/${name}/${index}`,
          message: `${quote(id)} is named twice`,
          reason: 'scope_duplicate',
        });
      }
      seen.add(id);
    });
  }
  return problems;
}

/** An approved exception past its expiry is expired now, whether or not the sweep has run. */
export function effectiveStatus(
  status: ExceptionStatus,
  expiresAt: string,
  now: Date,
): ExceptionStatus {
  return status === 'approved' && Date.parse(expiresAt) <= now.getTime() ? 'expired' : status;
}

/** Whole days left, rounded down; 0 from the moment it expires, never negative. */
export function daysUntilExpiry(expiresAt: string, now: Date): number {
  return Math.max(0, Math.floor((Date.parse(expiresAt) - now.getTime()) / DAY_MS));
}
