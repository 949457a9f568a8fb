import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '../evidence/parsers/scan/index.js';
import type { SignatureSummary } from '../evidence/signatures/index.js';
import { evaluatePolicy, licenceAllowed, type PolicyInput, type Waiver } from './policy-engine.js';
import { DEFAULT_POLICY_SET, nextPolicyVersion } from './policy-set.js';
import { RULE_IDS } from './rule-catalogue.js';

const config = DEFAULT_POLICY_SET.config;

function finding(vuln: string, severity: Severity, pkg = 'openssl'): Finding {
  return {
    id: `${vuln}|${pkg}|1.0`,
    vulnerability_id: vuln,
    package: pkg,
    installed_version: '1.0',
    fixed_version: null,
    severity,
    purl: null,
    targets: [],
    title: null,
  };
}

const tests = (failed: number, total = 10) => ({
  stage: 'lab' as const,
  total,
  passed: total - failed,
  failed,
  skipped: 0,
  coverage_percent: null,
  devices: null,
  duration_seconds: null,
  cases: [],
});

function compliant(): PolicyInput {
  return {
    intent: {
      plane: 'intune',
      app_version: '24.08',
      install_timeout_seconds: 600,
      uninstall_timeout_seconds: 300,
      detection_method: 'registry',
      detection_query: 'HKLM\\SOFTWARE\\7-Zip:Path',
      rollback_plan: { strategy: 'reinstall_previous', previous_version: '23.01', steps: [] },
    },
    signature: { signer_subject: 'CN=Acme' } as SignatureSummary,
    sbom: {
      components: [
        {
          ref: 'a',
          name: 'zlib',
          version: '1.3',
          purl: 'pkg:generic/zlib@1.3',
          licenses: ['Zlib'],
          hashes: [],
          type: 'library',
        },
      ],
    },
    findings: [finding('CVE-1', 'medium')],
    lab: tests(0),
    ring0: { ...tests(0), stage: 'ring0' },
    publishers: [],
  };
}

describe('evaluatePolicy', () => {
  it('approves a compliant intent and checks every rule of the catalogue', () => {
    const result = evaluatePolicy(compliant(), config, []);
    expect(result).toEqual({
      approved: true,
      violations: [],
      waived: [],
      exceptions_applied: [],
      rules_checked: RULE_IDS,
    });
  });

  it('names each rule broken, with the findings and components concerned', () => {
    const input: PolicyInput = {
      intent: {
        plane: 'jamf',
        app_version: '2.0',
        install_timeout_seconds: 10,
        uninstall_timeout_seconds: 7200,
        detection_method: 'registry',
        detection_query: 'HKLM\\x',
        rollback_plan: { strategy: 'supersede' },
      },
      signature: null,
      sbom: {
        components: [
          {
            ref: null,
            name: 'evil',
            version: '1',
            purl: null,
            licenses: ['MIT AND AGPL-3.0-only'],
            hashes: [],
            type: null,
          },
          {
            ref: null,
            name: 'fine',
            version: null,
            purl: null,
            licenses: ['MIT OR AGPL-3.0-only'],
            hashes: [],
            type: null,
          },
          {
            ref: null,
            name: 'odd',
            version: null,
            purl: null,
            licenses: ['SSPL-1.0'],
            hashes: [],
            type: null,
          },
        ],
      },
      findings: [finding('CVE-9', 'critical'), finding('CVE-8', 'high'), finding('CVE-7', 'low')],
      lab: tests(2),
      ring0: { ...tests(0, 0), stage: 'ring0' },
      publishers: [],
    };
    const result = evaluatePolicy(input, config, []);
    expect(result.approved).toBe(false);
    const byRule = Object.fromEntries(result.violations.map((v) => [v.rule_id, v]));
    expect(Object.keys(byRule).sort()).toEqual(
      [
        'artifact_signed',
        'detection_method_valid',
        'lab_tests_passed',
        'licenses_allowed',
        'no_critical_high_findings',
        'ring0_passed',
        'rollback_plan_valid',
        'timeouts_within_bounds',
      ].sort(),
    );
    expect(byRule.no_critical_high_findings).toMatchObject({
      severity: 'critical',
      finding_ids: ['CVE-9|openssl|1.0', 'CVE-8|openssl|1.0'],
      message: '1 critical finding and 1 high finding without an approved exception.',
    });
    expect(byRule.licenses_allowed?.component_ids).toEqual(['evil@1', 'odd']);
    expect(byRule.timeouts_within_bounds?.message).toMatch(
      /install_timeout_seconds 10s.*uninstall_timeout_seconds 7200s/,
    );
    expect(byRule.lab_tests_passed?.message).toBe('2 tests of 10 failed in lab.');
    expect(byRule.ring0_passed?.message).toMatch(/no tests/);
  });

  it('reports missing evidence, and a missing rollback plan', () => {
    const input = { ...compliant(), sbom: null, findings: null, lab: null, ring0: null };
    input.intent = { ...input.intent, rollback_plan: null };
    const ids = evaluatePolicy(input, config, []).violations.map((v) => v.rule_id);
    expect(ids).toEqual([
      'vuln_scan_present',
      'sbom_present',
      'rollback_plan_valid',
      'lab_tests_passed',
      'ring0_passed',
    ]);
  });

  it('skips disabled rules and records what it checked', () => {
    const input = { ...compliant(), signature: null };
    const result = evaluatePolicy(input, { ...config, disabled_rules: ['artifact_signed'] }, []);
    expect(result.approved).toBe(true);
    expect(result.rules_checked).not.toContain('artifact_signed');
  });

  it('waives a whole rule by rule id, and single findings by finding id', () => {
    const input = {
      ...compliant(),
      signature: null,
      findings: [finding('CVE-1', 'critical'), finding('CVE-2', 'high'), finding('CVE-3', 'high')],
    };
    const waivers: Waiver[] = [
      { id: 'ex-sig', finding_ids: [], rule_ids: ['artifact_signed'] },
      { id: 'ex-cve1', finding_ids: ['CVE-1|openssl|1.0'], rule_ids: [] },
      { id: 'ex-other', finding_ids: ['CVE-999|openssl|1.0'], rule_ids: ['sbom_present'] },
    ];
    const result = evaluatePolicy(input, config, waivers);
    expect(result.exceptions_applied).toEqual(['ex-cve1', 'ex-sig']);
    expect(result.violations).toEqual([
      expect.objectContaining({
        rule_id: 'no_critical_high_findings',
        finding_ids: ['CVE-2|openssl|1.0', 'CVE-3|openssl|1.0'],
      }),
    ]);
    expect(result.waived.map((w) => [w.rule_id, w.waived_by, w.finding_ids])).toEqual([
      ['artifact_signed', ['ex-sig'], []],
      ['no_critical_high_findings', ['ex-cve1'], ['CVE-1|openssl|1.0']],
    ]);
    const all = evaluatePolicy(input, config, [
      ...waivers,
      { id: 'ex-rest', finding_ids: ['CVE-2|openssl|1.0', 'CVE-3|openssl|1.0'], rule_ids: [] },
    ]);
    expect(all.approved).toBe(true);
  });

  it('never waives a finding or rule outside an exception’s scope (property)', () => {
    const ids = fc.constantFrom('CVE-1', 'CVE-2', 'CVE-3', 'CVE-4', 'CVE-5');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(ids, fc.constantFrom<Severity>('critical', 'high', 'low')), {
          selector: (t) => t[0],
        }),
        fc.uniqueArray(
          fc.record({
            id: fc.string({ minLength: 1, maxLength: 4 }),
            finding_ids: fc.array(ids.map((v) => `${v}|openssl|1.0`)),
            rule_ids: fc.subarray(RULE_IDS),
          }),
          { maxLength: 4, selector: (w) => w.id },
        ),
        fc.boolean(),
        (found, waivers, signed) => {
          const input = {
            ...compliant(),
            signature: signed ? compliant().signature : null,
            findings: found.map(([v, s]) => finding(v, s)),
          };
          const plain = evaluatePolicy(input, config, []);
          const result = evaluatePolicy(input, config, waivers);
          for (const w of result.waived) {
            for (const by of w.waived_by) {
              const waiver = waivers.find((x) => x.id === by)!;
              const inScope =
                waiver.rule_ids.includes(w.rule_id) ||
                w.finding_ids.every((f) => waiver.finding_ids.includes(f));
              expect(inScope).toBe(true);
            }
          }
          // Whatever no waiver names stays violated.
          const named = new Set(waivers.flatMap((w) => [...w.rule_ids, ...w.finding_ids]));
          for (const v of plain.violations) {
            if (named.has(v.rule_id)) continue;
            const unnamed = v.finding_ids.filter((f) => !named.has(f));
            if (v.finding_ids.length === 0 || unnamed.length > 0) {
              const still = result.violations.find((x) => x.rule_id === v.rule_id);
              expect(still).toBeDefined();
              expect(still!.finding_ids).toEqual(expect.arrayContaining(unnamed));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('licenceAllowed', () => {
  const denied = new Set(['GPL-3.0-only', 'GPL-2.0+', 'Proprietary Thing']);
  it.each([
    ['MIT', true],
    ['GPL-3.0-only', false],
    ['MIT OR GPL-3.0-only', true],
    ['MIT AND GPL-3.0-only', false],
    ['(Apache-2.0 OR GPL-3.0-only) AND BSD-3-Clause', true],
    ['GPL-2.0+', false],
    ['GPL-2.0-only WITH Classpath-exception-2.0', true],
    ['Proprietary Thing', false],
    ['Some Other Name', true],
  ])('%s → %s', (expression, allowed) => {
    expect(licenceAllowed(expression, denied)).toBe(allowed);
  });
});

describe('policy set versions', () => {
  it('bumps the minor number', () => {
    expect(nextPolicyVersion('1.0')).toBe('1.1');
    expect(nextPolicyVersion('1.9')).toBe('1.10');
    expect(nextPolicyVersion('2')).toBe('2.1');
  });
});

describe('artifact_signed and trusted publishers', () => {
  const contoso = {
    id: 'pub-1',
    name: 'Contoso',
    revision: 2,
    x509_subject: 'O=Contoso Ltd',
    sigstore_identity: null,
  };
  const ci = {
    id: 'pub-2',
    name: 'Contoso CI',
    revision: 1,
    x509_subject: null,
    sigstore_identity: {
      san: 'https://github.com/contoso/app/.github/workflows/release.yml@refs/tags/*',
      issuer: 'https://token.actions.githubusercontent.com',
    },
  };
  const signedBy = (subject: string) => ({
    ...compliant(),
    signature: { method: 'x509', signer_subject: subject } as SignatureSummary,
  });
  const keyless = (san: string) => ({
    ...compliant(),
    signature: {
      method: 'sigstore',
      signer_subject: '',
      identity: { san, issuer: 'https://token.actions.githubusercontent.com' },
    } as SignatureSummary,
  });
  const signedViolation = (input: PolicyInput) =>
    evaluatePolicy(input, config, []).violations.find((v) => v.rule_id === 'artifact_signed');

  it('trusts a verified X.509 signature while no publisher is configured, and records nothing', () => {
    const result = evaluatePolicy(signedBy('CN=x, O=Fabrikam'), config, []);
    expect(result.approved).toBe(true);
    expect(result).not.toHaveProperty('trusted_publisher');
  });

  it('does not trust a keyless signature while no publisher is configured, and says why', () => {
    const message = signedViolation(
      keyless('https://github.com/x/y/.github/workflows/a.yml@refs/tags/v1'),
    )?.message;
    expect(message).toMatch(
      /^The keyless Sigstore signature by keyless identity "https:\/\/github.com\/x\/y/,
    );
    expect(message).toMatch(
      /no trusted publisher is configured, and anyone can obtain a Fulcio certificate/,
    );
  });

  it('once publishers exist, needs the signer to match one and names the signer it saw', () => {
    const input = { ...signedBy('CN=x, O=Fabrikam'), publishers: [contoso, ci] };
    const result = evaluatePolicy(input, config, []);
    expect(result.approved).toBe(false);
    expect(result.violations[0]!.message).toBe(
      'The signature verifies, but its signer matches no trusted publisher: saw subject "CN=x, O=Fabrikam"; ' +
        'the subject has O="Fabrikam", publisher "Contoso" wants O="Contoso Ltd"; ' +
        'publisher "Contoso CI" names only a Sigstore keyless identity, and this signature\'s certificate has none.',
    );
    expect(result.trusted_publisher).toEqual({
      in_force: [
        { id: 'pub-1', revision: 2 },
        { id: 'pub-2', revision: 1 },
      ],
      matched: null,
    });
  });

  it('passes and records the publisher matched, for X.509 and keyless signers', () => {
    const x = evaluatePolicy(
      { ...signedBy('CN=b, O=Contoso Ltd'), publishers: [contoso, ci] },
      config,
      [],
    );
    expect(x.approved).toBe(true);
    expect(x.trusted_publisher?.matched).toEqual({ id: 'pub-1', name: 'Contoso', revision: 2 });
    const tag = 'https://github.com/contoso/app/.github/workflows/release.yml@refs/tags/v2.0.1';
    const k = evaluatePolicy({ ...keyless(tag), publishers: [contoso, ci] }, config, []);
    expect(k.approved).toBe(true);
    expect(k.trusted_publisher?.matched?.id).toBe('pub-2');
    const branch = tag.replace('tags/v2.0.1', 'heads/main');
    expect(signedViolation({ ...keyless(branch), publishers: [contoso, ci] })?.message).toMatch(
      /saw keyless identity ".*heads\/main" \(issuer .*\); .*publisher "Contoso CI" wants SAN/,
    );
  });

  it('keeps the no-signature message, with publishers or without', () => {
    const none = { ...compliant(), signature: null };
    expect(signedViolation(none)?.message).toBe(
      'No verified code signature is attached to the artifact.',
    );
    const withPublishers = evaluatePolicy({ ...none, publishers: [contoso] }, config, []);
    expect(withPublishers.violations[0]!.message).toBe(
      'No verified code signature is attached to the artifact.',
    );
    expect(withPublishers.trusted_publisher).toEqual({
      in_force: [{ id: 'pub-1', revision: 2 }],
      matched: null,
    });
  });
});
