import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { addEvidence, corpusFiles, createIntent, readCorpus } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const CRITICAL = 'CVE-2019-18224|libidn2-0|2.0.5-1';
const HIGH = 'CVE-2020-8165|activesupport|6.0.2.1';

const openVex = (status: string) =>
  JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': `https://example.org/vex/${status}`,
    author: 'Acme PSIRT',
    timestamp: '2026-01-01T00:00:00Z',
    version: 1,
    statements: [
      {
        vulnerability: { name: 'CVE-2020-8165' },
        products: [{ '@id': 'pkg:gem/activesupport@6.0.2.1' }],
        status,
        ...(status === 'not_affected'
          ? { justification: 'vulnerable_code_not_in_execute_path' }
          : {}),
      },
    ],
  });

describe.each(dbKinds)('policy and risk previews on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let reviewer: TestUser;
  let intentId: string;
  let artifactSha256: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
    reviewer = await t.user(['security_reviewer']);
    ({ intentId, artifactSha256 } = await createIntent(t, submitter));
    const file = (sub: string, name: string) =>
      readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);
    const uploads: [string, Buffer | string][] = [
      ['kind=sbom', file('sbom/cyclonedx', 'proton-bridge-1.8.0.cdx.json')],
      ['kind=vuln_scan', file('scans/trivy', 'fluentd-gems.json')],
      [
        'kind=test_results',
        JSON.stringify({
          stage: 'lab',
          total: 10,
          passed: 10,
          failed: 0,
          skipped: 0,
          coverage_percent: 72.5,
        }),
      ],
      [
        'kind=test_results',
        JSON.stringify({
          stage: 'ring0',
          total: 20,
          passed: 19,
          failed: 1,
          skipped: 0,
          devices: 25,
          duration_seconds: 3600,
        }),
      ],
    ];
    for (const [query, body] of uploads) {
      const res = await addEvidence(t, submitter, intentId, query, body);
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => t.close());

  const policy = async (as: TestUser = submitter) =>
    t.call({ method: 'POST', url: `/api/v1/intents/${intentId}/policy-preview`, as });
  const risk = async (query = '') =>
    t.call({
      method: 'POST',
      url: `/api/v1/intents/${intentId}/risk-preview${query}`,
      as: submitter,
    });

  it('names the violated rules with their findings', async () => {
    const res = await policy();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.approved).toBe(false);
    expect(body.policy_set_version).toBe('1.0');
    const rules = body.violations.map((v: { rule_id: string }) => v.rule_id);
    expect(rules).toEqual(['artifact_signed', 'no_critical_high_findings', 'ring0_passed']);
    expect(body.violations[1].finding_ids).toEqual([CRITICAL, HIGH]);
  });

  it('scores the evidence deterministically under model 1.0, and refuses unknown models', async () => {
    const first = await risk();
    expect(first.statusCode, first.body).toBe(200);
    const result = first.json();
    expect(result.model_version).toBe('1.0');
    expect(result.factors.vulnerabilities).toMatchObject({ raw: 1.5, normalized: 20 });
    expect(result.factors.policy_violations).toMatchObject({ raw: 3, normalized: 100 });
    expect(result.factors.test_coverage).toMatchObject({ normalized: 27 });
    expect(result.factors.ring_0_failures).toMatchObject({ normalized: 25 });
    expect(result.factors.exception_count).toMatchObject({ raw: 0, normalized: 0 });
    expect(result.factors.artifact_age.normalized).toBe(100); // no build_time given
    expect(result.threshold_exceeded).toBe(true);
    const again = await risk('?model=1.0');
    expect(again.json()).toEqual(result);
    const unknown = await risk('?model=9.9');
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().detail).toMatch(/9\.9/);
  });

  it('applies VEX: a not_affected statement removes the finding from policy and risk', async () => {
    const vex = await addEvidence(t, submitter, intentId, 'kind=vex', openVex('not_affected'));
    expect(vex.statusCode, vex.body).toBe(201);
    const body = (await policy()).json();
    expect(body.vex_suppressed).toEqual([
      expect.objectContaining({ finding_id: HIGH, status: 'not_affected' }),
    ]);
    expect(body.violations[1].finding_ids).toEqual([CRITICAL]);
    expect((await risk()).json().factors.vulnerabilities.raw).toBe(1);
    // A later statement that the product is affected undoes it.
    await addEvidence(t, submitter, intentId, 'kind=vex', openVex('affected'));
    expect((await policy()).json().vex_suppressed).toEqual([]);
  });

  it('lets an approved exception waive exactly its findings while they stay scored', async () => {
    const expiresAt = new Date(t.clock.now().getTime() + 7 * 86_400_000).toISOString();
    const requested = await t.call({
      method: 'POST',
      url: '/api/v1/exceptions',
      as: submitter,
      payload: {
        exception_type: 'vuln_critical',
        scope: { artifact_sha256: artifactSha256, finding_ids: [CRITICAL] },
        description: 'libidn2 is not reachable from the installer',
        compensating_controls: 'EDR rule blocks the vulnerable path',
        expires_at: expiresAt,
      },
    });
    expect(requested.statusCode, requested.body).toBe(201);
    const id = requested.json().id as string;
    const approved = await t.call({
      method: 'POST',
      url: `/api/v1/exceptions/${id}/approve`,
      as: reviewer,
      payload: { verification_steps: 'Checked the EDR policy is deployed to all rings' },
    });
    expect(approved.statusCode, approved.body).toBe(200);

    const body = (await policy()).json();
    expect(body.exceptions_applied).toEqual([id]);
    expect(body.waived).toEqual([
      expect.objectContaining({
        rule_id: 'no_critical_high_findings',
        finding_ids: [CRITICAL],
        waived_by: [id],
      }),
    ]);
    expect(
      body.violations.find((v: { rule_id: string }) => v.rule_id === 'no_critical_high_findings')
        .finding_ids,
    ).toEqual([HIGH]);
    const scored = (await risk()).json();
    expect(scored.factors.exception_count).toMatchObject({ raw: 1, normalized: 40 });
    expect(scored.factors.vulnerabilities.raw).toBe(1.5); // accepted, not removed

    // It counts until its expiry instant, not at it.
    t.clock.set(new Date(Date.parse(expiresAt) - 1));
    expect((await policy()).json().exceptions_applied).toEqual([id]);
    t.clock.set(expiresAt);
    expect((await policy()).json().exceptions_applied).toEqual([]);
    t.clock.set(new Date(Date.parse(expiresAt) - 7 * 86_400_000));
  });

  it('versions policy sets: a new set is in force at once, old ones stay readable', async () => {
    const list = await t.call({ method: 'GET', url: '/api/v1/policy-sets', as: submitter });
    expect(list.json()).toMatchObject({
      current_version: '1.0',
      policy_sets: [{ version: '1.0' }],
    });
    const config = {
      ...list.json().policy_sets[0].config,
      denied_licenses: ['MIT'],
      disabled_rules: ['artifact_signed'],
    };
    const added = await t.call({
      method: 'POST',
      url: '/api/v1/policy-sets',
      payload: { description: 'No MIT, signatures optional', config },
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().version).toBe('1.1');
    const body = (await policy()).json();
    expect(body.policy_set_version).toBe('1.1');
    expect(body.rules_checked).not.toContain('artifact_signed');
    const licences = body.violations.find(
      (v: { rule_id: string }) => v.rule_id === 'licenses_allowed',
    );
    expect(licences.component_ids.length).toBeGreaterThan(0);
    const old = await t.call({ method: 'GET', url: '/api/v1/policy-sets/1.0', as: submitter });
    expect(old.json().config.denied_licenses).not.toContain('MIT');
    expect((await t.call({ method: 'GET', url: '/api/v1/policy-sets/7.7' })).statusCode).toBe(404);

    const bad = await t.call({
      method: 'POST',
      url: '/api/v1/policy-sets',
      payload: {
        description: 'bad',
        config: {
          ...config,
          install_timeout_seconds: { min: 10, max: 5 },
          disabled_rules: ['nope'],
        },
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['/config/install_timeout_seconds', '/config/disabled_rules/0']),
    );
    const notAdmin = await t.call({
      method: 'POST',
      url: '/api/v1/policy-sets',
      payload: { description: 'x', config },
      as: submitter,
    });
    expect(notAdmin.statusCode).toBe(403);
    const audit = await t.call({
      method: 'GET',
      url: '/api/v1/audit/events?type=policy_set.added',
    });
    expect(audit.json().events).toHaveLength(1);
  });

  it('answers 404 for an unknown intent', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/intents/nope/policy-preview',
      as: submitter,
    });
    expect(res.statusCode).toBe(404);
  });
});
