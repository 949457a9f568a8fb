/**
 * Policy evaluation bench (`npm run bench -- policy`): evaluatePolicy over the largest SBOM of
 * the shared corpus (juice-shop, 840 components) and the corpus scan with the most findings,
 * against the time to walk those findings once; then over a generated 10,000-component SBOM
 * and 2,000-finding scan for scale.
 *
 * Baseline, "one walk of the findings": a loop over the parsed findings counting severities
 * into a Map, the least any rule about findings must do. Figure: policyInputOf + evaluatePolicy
 * with the default policy set, as AssessmentService.assess runs them, without and with a few
 * exceptions (one waiving a rule, two naming blocking findings). Both are tiny, so each is
 * timed in batches of many calls, the batches alternating, and the medians compared.
 *
 * CABINET_BENCH_POLICY_ROUNDS lowers the number of batches for a quick look.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { policyInputOf } from '../src/assessment/assessment-inputs.js';
import type { EvidenceSnapshot } from '../src/assessment/evidence-snapshot.js';
import type { EvidenceItem } from '../src/evidence/evidence-store.js';
import { parseDocumentEvidence } from '../src/evidence/parse-evidence.js';
import type { SbomSummary } from '../src/evidence/parsers/sbom/index.js';
import type { Finding, ScanSummary } from '../src/evidence/parsers/scan/index.js';
import type { Intent } from '../src/intents/intent-service.js';
import { evaluatePolicy, type PolicyResult, type Waiver } from '../src/policy/policy-engine.js';
import { DEFAULT_POLICY_SET } from '../src/policy/policy-set.js';
import { exampleIntent } from '../test/intake-fixtures.js';
import { generateCycloneDx } from './generators/cyclonedx.js';
import { generateTrivyReport } from './generators/trivy.js';
import type { Reporter } from './reporter.js';

/** The shared corpus beside the repository (as the tests read it); CABINET_BENCH_CORPUS overrides. */
const CORPUS = resolve(
  process.env.CABINET_BENCH_CORPUS ||
    fileURLToPath(new URL('../../shared/corpus/', import.meta.url)),
);
const LARGEST_SBOM = 'sbom/cyclonedx/juice-shop-11.1.2.cdx.json';
const ROUNDS = positiveInt('CABINET_BENCH_POLICY_ROUNDS', 21);
/** A batch runs at least this long, so timer resolution and call overhead stay in the noise. */
const BATCH_MS = 20;
const GENERATED_COMPONENTS = 10_000;
const GENERATED_FINDINGS = 2_000;

export async function run(report: Reporter): Promise<void> {
  const sbomFile = join(CORPUS, LARGEST_SBOM);
  const sbom = parseSummary<SbomSummary>('sbom', readFileSync(sbomFile));
  const scan = largestCorpusScan();
  report.note(
    `corpus: ${LARGEST_SBOM} (${sbom.component_count} components), ${scan.name} ` +
      `(${scan.summary.finding_count} findings, the most of ${scan.parsed} corpus scans that parse)`,
  );
  evaluateAndCompare(report, {
    label: `corpus SBOM (${sbom.component_count} components) + scan (${scan.summary.finding_count} findings)`,
    sbom,
    scan: scan.summary,
    target: true,
  });

  const generatedSbom = parseSummary<SbomSummary>(
    'sbom',
    Buffer.from(generateCycloneDx(GENERATED_COMPONENTS, 11)),
  );
  const generatedScan = parseSummary<ScanSummary>(
    'vuln_scan',
    Buffer.from(generateTrivyReport(GENERATED_FINDINGS, 12)),
  );
  evaluateAndCompare(report, {
    label: `generated SBOM (${count(GENERATED_COMPONENTS)} components) + scan (${count(GENERATED_FINDINGS)} findings)`,
    sbom: generatedSbom,
    scan: generatedScan,
    target: false,
  });
}

function parseSummary<T>(kind: 'sbom' | 'vuln_scan', bytes: Buffer): T {
  return parseDocumentEvidence(kind, bytes).summary as T;
}

/** Every file under corpus/scans that parses as a scan; the one with the most findings. */
function largestCorpusScan(): { name: string; summary: ScanSummary; parsed: number } {
  const root = join(CORPUS, 'scans');
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const full = join(dir, name);
        return statSync(full).isDirectory() ? walk(full) : [full];
      });
  let best: { name: string; summary: ScanSummary } | null = null;
  let parsed = 0;
  for (const file of walk(root)) {
    let summary: ScanSummary;
    try {
      summary = parseSummary<ScanSummary>('vuln_scan', readFileSync(file));
    } catch {
      continue; // Not a scan this intake accepts (the corpus keeps a tarball to refuse).
    }
    parsed += 1;
    if (!best || summary.finding_count > best.summary.finding_count) {
      best = { name: relative(CORPUS, file), summary };
    }
  }
  if (!best) throw new Error(`no scan in ${root} parses`);
  return { ...best, parsed };
}

/** An intent with this SBOM and scan attached, as snapshotOf would hand them to policy. */
function snapshotWith(sbom: SbomSummary, scan: ScanSummary): EvidenceSnapshot {
  const at = '2026-03-01T12:00:00.000Z';
  const artifactSha256 = 'a'.repeat(64);
  const intent: Intent = {
    ...exampleIntent(artifactSha256),
    id: '01900000-0000-7000-8000-000000000001',
    status: 'ready',
    revision: 2,
    created_by: 'bench',
    created_at: at,
    updated_at: at,
    artifact: {
      sha256: artifactSha256,
      size_bytes: 1_572_864,
      publisher: 'Igor Pavlov',
      filename: '7z2408-x64.exe',
      build_time: null,
    },
  };
  const item = (kind: 'sbom' | 'vuln_scan', summary: object): EvidenceItem => ({
    id: `01900000-0000-7000-8000-00000000000${kind === 'sbom' ? 2 : 3}`,
    intent_id: intent.id,
    kind,
    format: kind === 'sbom' ? 'cyclonedx' : 'trivy',
    spec_version: null,
    stage: null,
    artifact_sha256: artifactSha256,
    sha256: 'b'.repeat(64),
    size_bytes: 0,
    summary: summary as Record<string, unknown>,
    warnings: [],
    created_by: 'bench',
    created_at: at,
  });
  return {
    intent,
    sbom: item('sbom', sbom),
    vuln_scan: item('vuln_scan', scan),
    signature: null,
    lab: null,
    ring0: null,
    vex: [],
    as_of: at,
  };
}

/** The baseline: one pass over the findings, counting severities into a Map. */
function walkFindings(findings: readonly Finding[]): number {
  const counts = new Map<string, number>();
  for (const finding of findings) {
    counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
  }
  return counts.size;
}

/** A cross-check baseline: the same pass, plus one over the components touching each licence. */
function walkFindingsAndComponents(findings: readonly Finding[], sbom: SbomSummary): number {
  let licences = 0;
  for (const component of sbom.components) {
    for (const licence of component.licenses) licences += licence.length;
  }
  return walkFindings(findings) + licences;
}

/** Three exceptions: one waiving a rule, two each naming up to five blocking findings. */
function someWaivers(findings: readonly Finding[]): Waiver[] {
  const blocking = findings
    .filter((f) => f.severity === 'critical' || f.severity === 'high')
    .map((f) => f.id);
  return [
    { id: 'exception-rule', finding_ids: [], rule_ids: ['licenses_allowed'] },
    { id: 'exception-a', finding_ids: blocking.slice(0, 5), rule_ids: [] },
    { id: 'exception-b', finding_ids: blocking.slice(5, 10), rule_ids: [] },
  ];
}

interface Contender {
  name: string;
  call: () => number;
  /** Calls per batch, calibrated so a batch lasts about BATCH_MS. */
  batch: number;
  /** ns per call, one entry per batch. */
  samples: number[];
}

function contender(name: string, call: () => number): Contender {
  let batch = 1;
  // Calibrate (and warm the JIT): double the batch until it lasts BATCH_MS.
  for (;;) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) call();
    if (performance.now() - started >= BATCH_MS || batch >= 1 << 26) break;
    batch *= 2;
  }
  return { name, call, batch, samples: [] };
}

/** ROUNDS batches of each, round-robin, so load from elsewhere lands on all of them alike. */
function race(contenders: readonly Contender[]): void {
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      const started = performance.now();
      for (let i = 0; i < c.batch; i++) sink += c.call();
      c.samples.push(((performance.now() - started) * 1e6) / c.batch);
    }
  }
  if (sink === 0) throw new Error('the timed calls computed nothing');
}

/** A whole count as people write it: 5, 840, 10,000. */
const count = (n: number) => n.toLocaleString('en-US');

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1]!;

function evaluateAndCompare(
  report: Reporter,
  setup: { label: string; sbom: SbomSummary; scan: ScanSummary; target: boolean },
): void {
  const snapshot = snapshotWith(setup.sbom, setup.scan);
  const findings = setup.scan.findings;
  const config = DEFAULT_POLICY_SET.config;
  const waivers = someWaivers(findings);
  const evaluate = (with_: readonly Waiver[]): PolicyResult =>
    evaluatePolicy(policyInputOf(snapshot, findings), config, with_);
  const plain = evaluate([]);
  const waived = evaluate(waivers);
  const rules = (r: PolicyResult) => r.violations.map((v) => v.rule_id).join(', ') || 'none';
  report.note(
    `${setup.label}: violations ${rules(plain)}; with exceptions: ${rules(waived)} ` +
      `(${waived.waived.length} waived, exceptions applied ${waived.exceptions_applied.join(', ') || 'none'})`,
  );

  const score = (r: PolicyResult) => r.violations.length + r.rules_checked.length;
  const walk = contender('walk', () => walkFindings(findings));
  const walkAll = contender('walk+components', () =>
    walkFindingsAndComponents(findings, setup.sbom),
  );
  const bare = contender('evaluate', () => score(evaluate([])));
  const withWaivers = contender('evaluate+waivers', () => score(evaluate(waivers)));
  race([walk, walkAll, bare, withWaivers]);

  const baseline = {
    name: `walk of ${count(findings.length)} findings`,
    value: median(walk.samples) / 1000,
    unit: 'µs',
  };
  const target = setup.target ? ({ on: 'ratio', op: '<=', limit: 2 } as const) : undefined;
  const method = (c: Contender) =>
    `median of ${ROUNDS} batches of ${count(c.batch)} calls, alternating with the baseline's batches of ${count(walk.batch)}`;
  report.figure({
    name: `evaluatePolicy, ${setup.label}`,
    value: median(bare.samples) / 1000,
    unit: 'µs',
    baseline,
    ...(target ? { target } : {}),
    detail:
      `policyInputOf + evaluatePolicy(default set, no exceptions) per call; baseline: one loop counting ` +
      `the findings' severities into a Map; ${method(bare)}`,
  });
  report.figure({
    name: '  with 3 exceptions',
    value: median(withWaivers.samples) / 1000,
    unit: 'µs',
    baseline,
    ...(target ? { target } : {}),
    detail: `one waiving licenses_allowed, two naming up to 5 blocking findings each; ${method(withWaivers)}`,
  });
  report.figure({
    name: '  same evaluation vs a walk of findings + components',
    value: median(bare.samples) / 1000,
    unit: 'µs',
    baseline: {
      name: `walk incl. ${count(setup.sbom.components.length)} components`,
      value: median(walkAll.samples) / 1000,
      unit: 'µs',
    },
    detail:
      'cross-check: the licence rule must visit every component, so this baseline also touches each ' +
      `component's licence strings once; ${method(walkAll)}`,
  });
}

function positiveInt(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${variable} must be a positive whole number (got ${JSON.stringify(raw)})`);
  }
  return value;
}
