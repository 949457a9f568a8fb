import { rmSync } from 'node:fs';
import { generateCycloneDx } from '../bench/generators/cyclonedx.js';
import { generateTrivyReport } from '../bench/generators/trivy.js';
import { addEvidence, corpusFiles, createIntent, readCorpus } from './intake-fixtures.js';
import { OpensslPki } from './openssl-pki.js';
import type { TestApp, TestUser } from './test-app.js';

/**
 * Evidence that lands a pack in a chosen risk band, from the corpus and the bench
 * generators (whose shapes come from it). Scores under model 1.0:
 * - standard: signed, clean scan, lab 91 % and ring 0 passed → LOW, no violation.
 * - low_violation: the same unsigned → LOW with one violation (a normal change).
 * - caution: SBOM and a clean scan only → 50, CAUTION.
 * - high: SBOM and a scan with ≥ 16 highs only → 75, HIGH.
 * - critical: as high, with an SBOM of > 1000 transitive components → 85, CRITICAL.
 * - excepted: standard plus a critical finding waived by an approved exception → MODERATE.
 */
export type PackProfile =
  | 'standard'
  | 'low_violation'
  | 'caution'
  | 'high'
  | 'critical'
  | 'excepted';

export const EXPECTED_BAND: Record<PackProfile, string> = {
  standard: 'LOW',
  low_violation: 'LOW',
  caution: 'CAUTION',
  high: 'HIGH',
  critical: 'CRITICAL',
  excepted: 'MODERATE',
};

const corpus = (sub: string, name: string) =>
  readCorpus(corpusFiles(sub).find((f) => f.endsWith(name))!);

export const FLUENTD_CRITICAL = 'CVE-2019-18224|libidn2-0|2.0.5-1';

/** A generated Trivy report with every critical made high: many highs, nothing blocking. */
function manyHighs(): string {
  const report = JSON.parse(generateTrivyReport(40, 7)) as {
    Results?: { Vulnerabilities?: { Severity?: string }[] }[];
  };
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) v.Severity = 'HIGH';
  }
  return JSON.stringify(report);
}

export interface CabWorld {
  t: TestApp;
  pki: OpensslPki;
  /** A fresh intent with evidence for `profile`, and its first pack. */
  pack(
    submitter: TestUser,
    profile: PackProfile,
  ): Promise<{ intentId: string; packId: string; artifactSha256: string; score: number }>;
  /** Approves an exception for the intent's artifact (by `reviewer`); returns its id. */
  exception(
    submitter: TestUser,
    reviewer: TestUser,
    artifactSha256: string,
    findingIds: string[],
    expiresAt: Date,
  ): Promise<string>;
  generate(intentId: string, as: TestUser): Promise<{ id: string; version: string }>;
  dispose(): void;
}

export async function cabWorld(t: TestApp, reviewer: TestUser): Promise<CabWorld> {
  const pki = new OpensslPki();
  pki.root('cabroot');
  pki.leaf('cabsigner', 'cabroot', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 365);
  // The certificates are valid from the real now; the test clock started a moment earlier.
  const real = Date.now() + 1_000;
  if (t.clock.now().getTime() < real) t.clock.advance(real - t.clock.now().getTime());
  const anchor = await t.call({
    method: 'POST',
    url: '/api/v1/trust-anchors',
    payload: { name: 'CAB test root', pem: pki.pem('cabroot') },
  });
  if (anchor.statusCode !== 201) throw new Error(`trust anchor: ${anchor.body}`);
  const highs = manyHighs();
  const bigSbom = generateCycloneDx(2_000, 3);

  const ok = async (res: Promise<{ statusCode: number; body: string }>, what: string) => {
    const r = await res;
    if (r.statusCode >= 300) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
  };

  const world: CabWorld = {
    t,
    pki,
    async exception(submitter, by, artifactSha256, findingIds, expiresAt) {
      const made = await t.call({
        method: 'POST',
        url: '/api/v1/exceptions',
        as: submitter,
        payload: {
          exception_type: 'vuln_critical',
          scope: { artifact_sha256: artifactSha256, finding_ids: findingIds },
          description: 'not reachable from the installer',
          compensating_controls: 'EDR rule 42',
          expires_at: expiresAt.toISOString(),
        },
      });
      if (made.statusCode !== 201) throw new Error(`exception: ${made.body}`);
      const id = made.json<{ id: string }>().id;
      await ok(
        t.call({
          method: 'POST',
          url: `/api/v1/exceptions/${id}/approve`,
          as: by,
          payload: { verification_steps: 'checked EDR rule 42' },
        }),
        'exception approve',
      );
      return id;
    },
    async generate(intentId, as) {
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/intents/${intentId}/evidence-packs`,
        as,
      });
      if (res.statusCode >= 300) throw new Error(`pack: ${res.statusCode} ${res.body}`);
      return res.json<{ id: string; version: string }>();
    },
    async pack(submitter, profile) {
      const { intentId, artifactSha256 } = await createIntent(t, submitter);
      const add = (query: string, body: string | Buffer) =>
        ok(addEvidence(t, submitter, intentId, query, body), query);
      const big = profile === 'critical';
      await add(
        'kind=sbom',
        big ? bigSbom : corpus('sbom/cyclonedx', 'proton-bridge-1.6.3.cdx.json'),
      );
      if (profile === 'high' || profile === 'critical') {
        await add('kind=vuln_scan', highs);
      } else if (profile === 'excepted') {
        await add('kind=vuln_scan', corpus('scans/trivy', 'fluentd-gems.json'));
      } else {
        await add('kind=vuln_scan', corpus('scans/trivy', 'alpine-310.json'));
      }
      if (profile === 'standard' || profile === 'low_violation' || profile === 'excepted') {
        await add(
          'kind=test_results',
          JSON.stringify({
            stage: 'lab',
            total: 5,
            passed: 5,
            failed: 0,
            skipped: 0,
            coverage_percent: 91,
          }),
        );
        await add(
          'kind=test_results&stage=ring0',
          '<testsuite tests="2"><testcase name="install"/><testcase name="detect"/></testsuite>',
        );
      }
      if (profile === 'standard' || profile === 'excepted') {
        await add(
          'kind=signature',
          JSON.stringify({
            signature: pki.sign('cabsigner', artifactSha256),
            certificate_chain: [pki.pem('cabsigner')],
          }),
        );
      }
      if (profile === 'excepted') {
        await world.exception(
          submitter,
          reviewer,
          artifactSha256,
          [FLUENTD_CRITICAL],
          new Date(t.clock.now().getTime() + 30 * 86_400_000),
        );
      }
      const pack = await t.call({
        method: 'POST',
        url: `/api/v1/intents/${intentId}/evidence-packs`,
        as: submitter,
      });
      if (pack.statusCode !== 201) throw new Error(`pack ${profile}: ${pack.body}`);
      const body = pack.json<{
        id: string;
        body: { risk: { score: number; recommendation: string } };
      }>();
      if (body.body.risk.recommendation !== EXPECTED_BAND[profile]) {
        throw new Error(
          `profile ${profile} scored ${body.body.risk.score} (${body.body.risk.recommendation}), not ${EXPECTED_BAND[profile]}`,
        );
      }
      return { intentId, packId: body.id, artifactSha256, score: body.body.risk.score };
    },
    dispose() {
      rmSync(pki.dir, { recursive: true, force: true });
    },
  };
  return world;
}
