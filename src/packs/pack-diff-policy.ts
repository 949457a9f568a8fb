import type { Violation } from '../policy/policy-engine.js';
import type { PackBody } from './pack-body.js';
import { compareText, sortedDifference } from './pack-diff-sets.js';
import type { PolicyDiff, ViolationChange } from './pack-diff-types.js';

/**
 * Compares the unwaived violations by rule id (a rule is violated at most once per pack).
 * A rule violated on both sides is `changed` when anything it says differs: its severity
 * (another policy set), its finding ids or component ids (compared as sets, so reordering is
 * no change), or its message — the message is derived from the evidence, so for rules that
 * name no ids (e.g. "3 tests of 40 failed in lab") it is the only trace of the change.
 */
export function diffPolicy(before: PackBody, after: PackBody): PolicyDiff {
  const was = byRule(before.policy_violations);
  const now = byRule(after.policy_violations);
  const added: Violation[] = [];
  const resolved: Violation[] = [];
  const changed: ViolationChange[] = [];

  for (const [ruleId, violation] of now) {
    const previous = was.get(ruleId);
    if (!previous) added.push(violation);
    else {
      const change = violationChange(ruleId, previous, violation);
      if (change) changed.push(change);
    }
  }
  for (const [ruleId, violation] of was) if (!now.has(ruleId)) resolved.push(violation);

  const byRuleId = (a: { rule_id: string }, b: { rule_id: string }) =>
    compareText(a.rule_id, b.rule_id);
  return {
    violations_added: added.sort(byRuleId),
    violations_resolved: resolved.sort(byRuleId),
    violations_changed: changed.sort(byRuleId),
    approved: { from: before.policy_approved, to: after.policy_approved },
    set_version: { from: before.policy_set_version, to: after.policy_set_version },
  };
}

function byRule(violations: PackBody['policy_violations']): Map<string, Violation> {
  return new Map(Object.values(violations).map((v) => [v.rule_id, v]));
}

function violationChange(ruleId: string, from: Violation, to: Violation): ViolationChange | null {
  const change: ViolationChange = {
    rule_id: ruleId,
    severity: { from: from.severity, to: to.severity },
    message: { from: from.message, to: to.message },
    finding_ids: {
      added: sortedDifference(to.finding_ids, from.finding_ids),
      removed: sortedDifference(from.finding_ids, to.finding_ids),
    },
    component_ids: {
      added: sortedDifference(to.component_ids, from.component_ids),
      removed: sortedDifference(from.component_ids, to.component_ids),
    },
  };
  const same =
    from.severity === to.severity &&
    from.message === to.message &&
    change.finding_ids.added.length + change.finding_ids.removed.length === 0 &&
    change.component_ids.added.length + change.component_ids.removed.length === 0;
  return same ? null : change;
}
