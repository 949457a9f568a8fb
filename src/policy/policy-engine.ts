import type { SbomComponent } from '../evidence/parsers/sbom/index.js';
import { type LicenseNode, parseLicenseExpression } from '../evidence/parsers/sbom/index.js';
import type { Finding } from '../evidence/parsers/scan/index.js';
import type { TestResultsSummary } from '../evidence/parsers/test-results/index.js';
import type { SignatureSummary } from '../evidence/signatures/index.js';
import {
  type DetectionMethod,
  type Plane,
  type RollbackPlan,
  validateDetection,
  validateRollbackPlan,
} from '../intents/intent-rules.js';
import { matchPublisher, type PublisherRule, signerOf } from '../publishers/publisher-match.js';
import type { PolicyConfig } from './policy-set.js';
import { RULES, type RuleId, type RuleSeverity } from './rule-catalogue.js';

/** Everything policy looks at, already gathered: pure data in. */
export interface PolicyInput {
  intent: {
    plane: Plane;
    app_version: string;
    install_timeout_seconds: number;
    uninstall_timeout_seconds: number;
    detection_method: DetectionMethod;
    detection_query: string;
    rollback_plan: RollbackPlan | null;
  };
  signature: SignatureSummary | null;
  sbom: { components: SbomComponent[] } | null;
  /** Findings after VEX; null when no scan is attached. */
  findings: Finding[] | null;
  lab: TestResultsSummary | null;
  ring0: TestResultsSummary | null;
  /** The trusted publishers in force at evaluation time, in matching order. */
  publishers: readonly PublisherRule[];
  /**
   * With no signature: why the artifact's embedded (Authenticode) signature does not count,
   * when it carries one; the violation says so.
   */
  signature_problem?: string | null;
}

/** What artifact_signed relied on, once any publisher is configured (packs record it). */
export interface PublisherFacts {
  /** The publishers in force, by id and revision, in matching order. */
  in_force: { id: string; revision: number }[];
  /** The publisher the signer matched, or null (no signature, or no match). */
  matched: { id: string; name: string; revision: number } | null;
}

/** An approved, unexpired exception as policy sees it: what its scope names. */
export interface Waiver {
  id: string;
  finding_ids: readonly string[];
  rule_ids: readonly string[];
}

export interface Violation {
  rule_id: RuleId;
  severity: RuleSeverity;
  message: string;
  finding_ids: string[];
  component_ids: string[];
}

export interface WaivedViolation extends Violation {
  waived_by: string[];
}

export interface PolicyResult {
  approved: boolean;
  violations: Violation[];
  waived: WaivedViolation[];
  /** Ids of the exceptions that waived at least one thing. */
  exceptions_applied: string[];
  rules_checked: RuleId[];
  /** Present when artifact_signed was checked with publishers configured. */
  trusted_publisher?: PublisherFacts;
}

type Check = (
  input: PolicyInput,
  config: PolicyConfig,
) => Omit<Violation, 'severity' | 'rule_id'> | null;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * DESIGN "Trusted publishers": with no publisher configured, a verified X.509 or Authenticode
 * signature (its chain valid to a trust anchor) is trusted, as before publishers existed; a
 * keyless one is not, since anyone can get a Fulcio certificate for some identity. Once any
 * publisher is configured, the signer must match one.
 */
function judgeSignature(input: PolicyInput): { problem: string | null; facts?: PublisherFacts } {
  const { signature, publishers } = input;
  if (publishers.length === 0) {
    if (!signature) return { problem: noSignature(input) };
    if (signature.identity) {
      return {
        problem:
          `The keyless Sigstore signature by ${signerOf(signature)} is not trusted: no trusted ` +
          'publisher is configured, and anyone can obtain a Fulcio certificate for some identity. ' +
          'Add a trusted publisher whose sigstore_identity names it.',
      };
    }
    return { problem: null };
  }
  const inForce = publishers.map((p) => ({ id: p.id, revision: p.revision }));
  if (!signature) {
    return {
      problem: noSignature(input),
      facts: { in_force: inForce, matched: null },
    };
  }
  const match = matchPublisher(signature, publishers);
  if (match.matched) {
    const { id, name, revision } = match.matched;
    return { problem: null, facts: { in_force: inForce, matched: { id, name, revision } } };
  }
  return {
    problem: `The signature verifies, but its signer matches no trusted publisher: saw ${match.signer}; ${match.why}.`,
    facts: { in_force: inForce, matched: null },
  };
}

function noSignature(input: PolicyInput): string {
  const base = 'No verified code signature is attached to the artifact.';
  const problem = input.signature_problem?.replace(/\.$/, '');
  return problem ? `${base} It carries one, but ${problem}.` : base;
}

const CHECKS: Record<RuleId, Check> = {
  artifact_signed: (input) => {
    const { problem } = judgeSignature(input);
    return problem === null ? null : { message: problem, finding_ids: [], component_ids: [] };
  },
  vuln_scan_present: (input) =>
    input.findings
      ? null
      : { message: 'No vulnerability scan is attached.', finding_ids: [], component_ids: [] },
  no_critical_high_findings: (input) => {
    const blocking = (input.findings ?? []).filter(
      (f) => f.severity === 'critical' || f.severity === 'high',
    );
    if (blocking.length === 0) return null;
    const critical = blocking.filter((f) => f.severity === 'critical').length;
    return {
      message: `${plural(critical, 'critical finding')} and ${plural(blocking.length - critical, 'high finding')} without an approved exception.`,
      finding_ids: blocking.map((f) => f.id),
      component_ids: [],
    };
  },
  sbom_present: (input) =>
    input.sbom ? null : { message: 'No SBOM is attached.', finding_ids: [], component_ids: [] },
  licenses_allowed: (input, config) => {
    const denied = new Set(config.denied_licenses);
    // An SBOM repeats a handful of expressions across all its components (juice-shop: 16
    // distinct strings on 840 components): parse and judge each distinct one once.
    const verdicts = new Map<string, boolean>();
    const allowed = (expression: string): boolean => {
      let verdict = verdicts.get(expression);
      if (verdict === undefined) {
        verdict = licenceAllowed(expression, denied);
        verdicts.set(expression, verdict);
      }
      return verdict;
    };
    const offending = (input.sbom?.components ?? []).filter((c) =>
      c.licenses.some((expression) => !allowed(expression)),
    );
    if (offending.length === 0) return null;
    return {
      message: `${plural(offending.length, 'component')} carry a denied licence (${[...denied].join(', ')}).`,
      finding_ids: [],
      component_ids: offending.map(componentId),
    };
  },
  rollback_plan_valid: (input) => {
    const plan = input.intent.rollback_plan;
    if (!plan) return { message: 'No rollback plan is given.', finding_ids: [], component_ids: [] };
    const problems = validateRollbackPlan(plan, input.intent.plane, input.intent.app_version);
    return problems.length === 0
      ? null
      : {
          message: problems.map((p) => `${p.path} ${p.message}`).join('; '),
          finding_ids: [],
          component_ids: [],
        };
  },
  timeouts_within_bounds: (input, config) => {
    const out: string[] = [];
    const check = (name: string, value: number, bounds: { min: number; max: number }) => {
      if (value < bounds.min || value > bounds.max) {
        out.push(`${name} ${value}s is outside ${bounds.min}–${bounds.max}s`);
      }
    };
    check(
      'install_timeout_seconds',
      input.intent.install_timeout_seconds,
      config.install_timeout_seconds,
    );
    check(
      'uninstall_timeout_seconds',
      input.intent.uninstall_timeout_seconds,
      config.uninstall_timeout_seconds,
    );
    return out.length === 0
      ? null
      : { message: `${out.join('; ')}.`, finding_ids: [], component_ids: [] };
  },
  lab_tests_passed: (input) => testsPassed(input.lab, 'lab'),
  ring0_passed: (input) => testsPassed(input.ring0, 'ring 0'),
  detection_method_valid: (input) => {
    const problems = validateDetection(
      input.intent.plane,
      input.intent.detection_method,
      input.intent.detection_query,
    );
    return problems.length === 0
      ? null
      : {
          message: problems.map((p) => `${p.path} ${p.message}`).join('; '),
          finding_ids: [],
          component_ids: [],
        };
  },
};

function testsPassed(summary: TestResultsSummary | null, stage: string) {
  if (!summary)
    return {
      message: `No ${stage} test results are attached.`,
      finding_ids: [],
      component_ids: [],
    };
  if (summary.failed > 0) {
    return {
      message: `${plural(summary.failed, 'test')} of ${summary.total} failed in ${stage}.`,
      finding_ids: [],
      component_ids: [],
    };
  }
  if (summary.total === 0) {
    return {
      message: `The ${stage} test results contain no tests.`,
      finding_ids: [],
      component_ids: [],
    };
  }
  return null;
}

function componentId(c: SbomComponent): string {
  return c.purl ?? (c.version ? `${c.name}@${c.version}` : c.name);
}

/**
 * An expression is allowed when some choice it offers avoids every denied licence:
 * `MIT OR AGPL-3.0-only` is fine (take MIT), `MIT AND AGPL-3.0-only` is not. Text that is not
 * an SPDX expression is judged by exact match against the list.
 */
export function licenceAllowed(expression: string, denied: ReadonlySet<string>): boolean {
  const root = parseLicenseExpression(expression);
  if (root === null) return !denied.has(expression.trim());
  const allowed = (node: LicenseNode): boolean => {
    if ('license' in node) {
      const id = node.plus ? `${node.license}+` : node.license;
      return !denied.has(id) && !denied.has(node.license);
    }
    return node.conjunction === 'and'
      ? allowed(node.left) && allowed(node.right)
      : allowed(node.left) || allowed(node.right);
  };
  return allowed(root);
}

/**
 * Evaluates every rule of the catalogue not disabled by the set, then lets approved
 * exceptions waive exactly what their scope names: a rule id waives that rule's violation,
 * a finding id waives that finding and nothing else.
 */
export function evaluatePolicy(
  input: PolicyInput,
  config: PolicyConfig,
  waivers: readonly Waiver[],
): PolicyResult {
  const disabled = new Set<string>(config.disabled_rules);
  const rulesChecked = (Object.keys(CHECKS) as RuleId[]).filter((id) => !disabled.has(id));
  const violations: Violation[] = [];
  const waived: WaivedViolation[] = [];
  const applied = new Set<string>();

  for (const ruleId of rulesChecked) {
    const found = CHECKS[ruleId](input, config);
    if (!found) continue;
    const violation: Violation = { rule_id: ruleId, severity: RULES[ruleId].severity, ...found };
    const byRule = waivers.filter((w) => w.rule_ids.includes(ruleId));
    if (byRule.length > 0) {
      for (const w of byRule) applied.add(w.id);
      waived.push({ ...violation, waived_by: byRule.map((w) => w.id) });
      continue;
    }
    if (violation.finding_ids.length > 0) {
      const remaining = new Set(violation.finding_ids);
      // One waived entry per exception, naming exactly the findings that exception covers.
      for (const w of waivers) {
        const covered = violation.finding_ids.filter((id) => w.finding_ids.includes(id));
        if (covered.length === 0) continue;
        applied.add(w.id);
        for (const id of covered) remaining.delete(id);
        waived.push({
          ...violation,
          finding_ids: covered,
          waived_by: [w.id],
          message: `${plural(covered.length, 'finding')} waived by exception ${w.id}.`,
        });
      }
      if (remaining.size === 0) continue;
      if (remaining.size < violation.finding_ids.length) {
        violations.push({
          ...violation,
          finding_ids: violation.finding_ids.filter((id) => remaining.has(id)),
          message: `${plural(remaining.size, 'critical or high finding')} without an approved exception.`,
        });
        continue;
      }
    }
    violations.push(violation);
  }
  const facts = rulesChecked.includes('artifact_signed') ? judgeSignature(input).facts : undefined;
  return {
    approved: violations.length === 0,
    violations,
    waived,
    exceptions_applied: [...applied].sort(),
    rules_checked: rulesChecked,
    ...(facts ? { trusted_publisher: facts } : {}),
  };
}
