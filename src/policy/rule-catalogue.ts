/**
 * The v1 policy rules: ids are stable (exceptions name them in their scope, packs record
 * them), so a rule is never renamed; a changed rule gets a new id.
 */
export const RULES = {
  artifact_signed: {
    severity: 'high',
    title: 'The artifact carries a valid code signature from a trusted publisher',
  },
  vuln_scan_present: {
    severity: 'high',
    title: 'A vulnerability scan of the artifact is attached',
  },
  no_critical_high_findings: {
    severity: 'critical',
    title: 'No critical or high finding remains without an approved exception',
  },
  sbom_present: { severity: 'high', title: 'An SBOM of the artifact is attached' },
  licenses_allowed: {
    severity: 'high',
    title: 'No component carries a licence on the deny-list',
  },
  rollback_plan_valid: {
    severity: 'high',
    title: 'A rollback plan is present and its strategy is supported by the plane',
  },
  timeouts_within_bounds: {
    severity: 'medium',
    title: 'Install and uninstall timeouts are within the policy bounds',
  },
  lab_tests_passed: { severity: 'high', title: 'Lab test results are attached and all passed' },
  ring0_passed: { severity: 'high', title: 'Ring 0 results are attached and all passed' },
  detection_method_valid: {
    severity: 'medium',
    title: 'The detection method is valid for the plane',
  },
} as const;

export type RuleId = keyof typeof RULES;
export type RuleSeverity = (typeof RULES)[RuleId]['severity'];
export const RULE_IDS = Object.keys(RULES) as RuleId[];

export function isRuleId(value: string): value is RuleId {
  return Object.hasOwn(RULES, value);
}
