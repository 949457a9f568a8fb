/**
 * Evidence pack benches (`npm run bench -- packs`), on SQLite through the real container:
 *
 *  1. PackService.generate for the largest corpus SBOM (juice-shop, 840 components) and the
 *     corpus scan with the most findings, against the floor of JSON.parse + SHA-256 of both
 *     documents' bytes, timed in the same rounds; then for a generated 10,000-component SBOM
 *     and 2,000-finding scan, for scale. Every round has an intent of its own, its evidence
 *     and first pack made untimed; the timed generate makes a real new version (1.1) after a
 *     fresh lab test-results item. One intent regenerated many times shows what the pack
 *     history costs.
 *  2. The bundle of the last corpus pack: export (PackService.bundle + JSON.stringify) and
 *     offline verify (`cabinet verify FILE --key KEY` through the CLI's main() in a fresh
 *     process), each against the floor of SHA-256 over the bundle's bytes as written to disk.
 *
 * Knobs for a quick look: CABINET_BENCH_PACKS_ROUNDS, _SCALE_ROUNDS, _VERIFY_PROCESSES,
 * _VERSIONS (1 skips the history figures), _COMPONENTS (0 skips the scale figures), _FINDINGS.
 * CABINET_BENCH_CPU_PROF=<dir> makes the first verify child of each bundle write a V8 CPU
 * profile there (summarise it with bench/cpu-profile-summary.ts).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseDocumentEvidence } from '../src/evidence/parse-evidence.js';
import type { SbomSummary } from '../src/evidence/parsers/sbom/index.js';
import type { ScanSummary } from '../src/evidence/parsers/scan/index.js';
import { tempSqlite } from './bench-databases.js';
import { generateCycloneDx } from './generators/cyclonedx.js';
import { generateTrivyReport } from './generators/trivy.js';
import { prepareVerifyChild, runVerifyChild, type VerifyChild } from './packs-processes.js';
import { type PackWorld, packWorld } from './packs-setup.js';
import type { Timing } from './packs-verify-child.js';
import { formatNumber, type Reporter, type Target } from './reporter.js';

/** The shared corpus beside the repository (as the tests read it); CABINET_BENCH_CORPUS overrides. */
const CORPUS = resolve(
  process.env.CABINET_BENCH_CORPUS ||
    fileURLToPath(new URL('../../shared/corpus/', import.meta.url)),
);
const LARGEST_SBOM = 'sbom/cyclonedx/juice-shop-11.1.2.cdx.json';
/** Timed generations (and exports) of the corpus inputs; the median is reported. */
const ROUNDS = nonNegativeInt('CABINET_BENCH_PACKS_ROUNDS', 15, 1);
/** The same at scale, where one generation takes a good fraction of a second. */
const SCALE_ROUNDS = nonNegativeInt('CABINET_BENCH_PACKS_SCALE_ROUNDS', 5, 1);
/** Untimed rounds first: JIT, SQLite pages, the parse worker. */
const WARMUP_ROUNDS = 3;
/** Fresh processes running `cabinet verify` on the corpus bundle (fewer at scale). */
const VERIFY_PROCESSES = nonNegativeInt('CABINET_BENCH_PACKS_VERIFY_PROCESSES', 5, 1);
/** Further verifies inside each measuring child, after its first (cold) one. */
const WARM_VERIFIES = 5;
/** Packs generated on one intent for the history figures (1 skips them). */
const VERSIONS = nonNegativeInt('CABINET_BENCH_PACKS_VERSIONS', 80, 1);
const COMPONENTS = nonNegativeInt('CABINET_BENCH_PACKS_COMPONENTS', 10_000, 0);
const FINDINGS = nonNegativeInt('CABINET_BENCH_PACKS_FINDINGS', 2_000, 1);
const MB = 1024 * 1024;

const GENERATE_TARGET: Target = { on: 'ratio', op: '<=', limit: 5 };
const BUNDLE_TARGET: Target = { on: 'ratio', op: '<=', limit: 3 };

export async function run(report: Reporter): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'cabinet-bench-packs-'));
  const database = tempSqlite();
  try {
    const child = await prepareVerifyChild(join(workDir, 'child'));
    const world = await packWorld(database);
    try {
      const sbom = readFileSync(join(CORPUS, LARGEST_SBOM));
      const scan = largestCorpusScan();
      const corpus: Inputs = {
        label: `corpus SBOM (${count(scan.components(sbom))} components) + scan (${count(scan.findings)} findings)`,
        sbom,
        scan: scan.bytes,
        target: true,
      };
      report.note(
        `corpus: ${LARGEST_SBOM} (${formatNumber(sbom.length / 1024)} KB), ${scan.name} ` +
          `(${formatNumber(scan.bytes.length / 1024)} KB, ${scan.findings} findings, ${scan.critical} critical: ` +
          `the most findings of ${scan.parsed} corpus scans that parse); verify children: ${child.runtime}`,
      );
      const corpusPacks = await generation(report, world, corpus, ROUNDS, WARMUP_ROUNDS);
      await exportAndVerify(report, world, child, workDir, corpusPacks.packId, {
        label: 'corpus',
        file: 'corpus',
        rounds: ROUNDS,
        processes: VERIFY_PROCESSES,
        target: true,
      });
      if (VERSIONS > 1) {
        const historyPackId = await manyVersions(report, world, corpus, corpusPacks);
        await exportAndVerify(report, world, child, workDir, historyPackId, {
          label: `corpus v1.${VERSIONS - 1}`,
          file: 'history',
          rounds: ROUNDS,
          processes: 0,
          target: false,
        });
      }

      if (COMPONENTS === 0) {
        report.skip('scale figures', 'CABINET_BENCH_PACKS_COMPONENTS=0');
        return;
      }
      const generated: Inputs = {
        label: `generated SBOM (${count(COMPONENTS)} components) + scan (${count(FINDINGS)} findings)`,
        sbom: Buffer.from(generateCycloneDx(COMPONENTS, 21)),
        scan: Buffer.from(generateTrivyReport(FINDINGS, 22)),
        target: false,
      };
      // The corpus rounds warmed the JIT: one untimed round suffices at this size.
      const scalePacks = await generation(report, world, generated, SCALE_ROUNDS, 1);
      await exportAndVerify(report, world, child, workDir, scalePacks.packId, {
        label: 'generated',
        file: 'generated',
        rounds: SCALE_ROUNDS,
        processes: Math.min(2, VERIFY_PROCESSES),
        target: false,
      });
    } finally {
      await world.close();
    }
  } finally {
    await database.dispose();
    rmSync(workDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The corpus scan with the most findings.

interface CorpusScan {
  name: string;
  bytes: Buffer;
  findings: number;
  critical: number;
  parsed: number;
  components(sbom: Buffer): number;
}

/** Every file under corpus/scans that parses as a scan; the one with the most findings. */
function largestCorpusScan(): CorpusScan {
  const root = join(CORPUS, 'scans');
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const full = join(dir, name);
        return statSync(full).isDirectory() ? walk(full) : [full];
      });
  let best: { file: string; bytes: Buffer; summary: ScanSummary } | null = null;
  let parsed = 0;
  for (const file of walk(root)) {
    const bytes = readFileSync(file);
    let summary: ScanSummary;
    try {
      summary = parseDocumentEvidence('vuln_scan', bytes).summary as ScanSummary;
    } catch {
      continue; // Not a scan intake accepts (the corpus keeps a tarball to be refused).
    }
    parsed += 1;
    if (!best || summary.finding_count > best.summary.finding_count) {
      best = { file, bytes, summary };
    }
  }
  if (!best) throw new Error(`no scan in ${root} parses`);
  return {
    name: relative(CORPUS, best.file),
    bytes: best.bytes,
    findings: best.summary.finding_count,
    critical: best.summary.findings.filter((f) => f.severity === 'critical').length,
    parsed,
    components: (sbom) =>
      (parseDocumentEvidence('sbom', sbom).summary as SbomSummary).component_count,
  };
}

// ---------------------------------------------------------------------------------------
// 1. Generation against JSON.parse + SHA-256 of its inputs.

interface Inputs {
  label: string;
  sbom: Buffer;
  scan: Buffer;
  /** Whether the figures carry the targets (the corpus) or are for scale (INFO). */
  target: boolean;
}

/** The floor: for both documents, SHA-256 of the bytes and JSON.parse of their UTF-8 text. */
function floorOf(inputs: Inputs): number {
  let sink = 0;
  for (const bytes of [inputs.sbom, inputs.scan]) {
    sink += createHash('sha256').update(bytes).digest('hex').length;
    sink += Object.keys(JSON.parse(bytes.toString('utf8')) as object).length;
  }
  return sink;
}

interface Generated {
  /** The last timed pack (version 1.1 of the last round's intent). */
  packId: string;
  /** Median of the timed generations, ms. */
  medianMs: number;
}

/**
 * Times the floor and generate, alternating. Each round has an intent of its own, prepared
 * before any timing starts (documents attached, a first pack 1.0 generated), so no round's
 * setup leaves garbage for the next timed call to collect. In the timed loop a lab
 * test-results item never seen before is attached (untimed), then the floor and generate are
 * timed: generate makes version 1.1, reading the previous pack and comparing facts with it,
 * as every regeneration after new evidence does. Every round thus measures the same operation.
 */
async function generation(
  report: Reporter,
  world: PackWorld,
  inputs: Inputs,
  rounds: number,
  warmUp: number,
): Promise<Generated> {
  const { container, submitter } = world;
  const intents: string[] = [];
  let waived = 0;
  const setupStarted = performance.now();
  for (let round = 0; round < warmUp + rounds; round++) {
    const { intentId, artifactSha256 } = await world.newIntent();
    await world.attach(intentId, 'sbom', inputs.sbom);
    const scanItem = await world.attach(intentId, 'vuln_scan', inputs.scan);
    waived = (await world.waiveCriticals(artifactSha256, scanItem)).length;
    await world.attachFreshTestResults(intentId, 0);
    const first = await container.database.transaction((trx) =>
      container.packs.generate(trx, submitter, intentId),
    );
    if (!first.created) throw new Error(`round ${round}: no first pack`);
    intents.push(intentId);
  }
  const setupMs = (performance.now() - setupStarted) / intents.length;

  const floors: number[] = [];
  const generates: number[] = [];
  let sink = 0;
  let last: { id: string; version: string; bodyBytes: number } | null = null;
  for (const [round, intentId] of intents.entries()) {
    await world.attachFreshTestResults(intentId, 1);
    let started = performance.now();
    sink += floorOf(inputs);
    const floorMs = performance.now() - started;
    started = performance.now();
    const { pack, created } = await container.database.transaction((trx) =>
      container.packs.generate(trx, submitter, intentId),
    );
    const generateMs = performance.now() - started;
    if (!created || pack.version !== '1.1') {
      throw new Error(`round ${round}: generate answered ${pack.version}, created ${created}`);
    }
    last = {
      id: pack.id,
      version: pack.version,
      bodyBytes: Buffer.byteLength(JSON.stringify(pack.body)),
    };
    if (round < warmUp) continue;
    floors.push(floorMs);
    generates.push(generateMs);
  }
  if (sink === 0 || !last) throw new Error('the floor computed nothing');

  const floor = {
    name: 'JSON.parse + SHA-256 of both',
    value: median(floors),
    unit: 'ms',
  };
  report.note(
    `${inputs.label}: per round, intent + evidence + pack 1.0 prepared in ${formatNumber(setupMs)} ms (mean, untimed)` +
      (waived > 0
        ? `, ${waived} critical findings waived by an approved vuln_critical exception`
        : ', no critical finding (no exception needed)') +
      `; floor ${runs(floors)} ms; generate ${runs(generates)} ms; pack body ${formatNumber(last.bodyBytes / MB)} MB`,
  );
  report.figure({
    name: `generate, ${inputs.label}`,
    value: median(generates),
    unit: 'ms',
    baseline: floor,
    ...(inputs.target ? { target: GENERATE_TARGET } : {}),
    detail:
      `PackService.generate of version 1.1 on SQLite through the real container (SBOM ${formatNumber(inputs.sbom.length / MB)} MB, ` +
      `scan ${formatNumber(inputs.scan.length / MB)} MB, lab test results); floor: SHA-256 of each document's bytes + ` +
      `JSON.parse of its UTF-8 text; median of ${rounds} rounds after ${warmUp} warm-up, floor and generate alternating, ` +
      'each round on an intent of its own (evidence and pack 1.0 made before timing began; a fresh test-results item attached untimed)',
  });
  return { packId: last.id, medianMs: median(generates) };
}

/**
 * One intent regenerated VERSIONS times: the generate of its last versions against version 1.1
 * above. The facts frozen are the same size each time; only the pack history grows.
 */
async function manyVersions(
  report: Reporter,
  world: PackWorld,
  inputs: Inputs,
  baseline: Generated,
): Promise<string> {
  const { container, submitter } = world;
  const { intentId } = await world.newIntent();
  await world.attach(intentId, 'sbom', inputs.sbom);
  await world.attach(intentId, 'vuln_scan', inputs.scan);
  const timed: number[] = [];
  let packId = '';
  for (let version = 0; version < VERSIONS; version++) {
    await world.attachFreshTestResults(intentId, version);
    const started = performance.now();
    const { pack, created } = await container.database.transaction((trx) =>
      container.packs.generate(trx, submitter, intentId),
    );
    const ms = performance.now() - started;
    if (!created) throw new Error(`version ${version}: generate answered the previous pack`);
    if (version >= VERSIONS - 5) timed.push(ms);
    packId = pack.id;
  }
  report.figure({
    name: `generate, corpus inputs, version 1.${VERSIONS - 1} of one intent (${VERSIONS} packs)`,
    value: median(timed),
    unit: 'ms',
    baseline: { name: 'version 1.1', value: baseline.medianMs, unit: 'ms' },
    detail:
      `the same inputs regenerated ${VERSIONS} times on one intent (a fresh test-results item each time); ` +
      `median of the last 5 (${runs(timed)} ms): the facts are the same size, only the history grows`,
  });
  return packId;
}

// ---------------------------------------------------------------------------------------
// 2. Export and offline verify against SHA-256 of the bundle's bytes.

interface BundleCase {
  label: string;
  /** Names the files written for the verify children. */
  file: string;
  rounds: number;
  /** Fresh processes verifying the bundle (0: export only). */
  processes: number;
  target: boolean;
}

async function exportAndVerify(
  report: Reporter,
  world: PackWorld,
  child: VerifyChild,
  workDir: string,
  packId: string,
  setup: BundleCase,
): Promise<void> {
  const { packs, signingKey } = world.container;
  // The first export of a pack signs an audit checkpoint at or after its event; later ones reuse it.
  let started = performance.now();
  let text = JSON.stringify(await packs.bundle(packId));
  const firstMs = performance.now() - started;

  const floors: number[] = [];
  const jsonFloors: number[] = [];
  const exports: number[] = [];
  let sink = 0;
  let bundle = await packs.bundle(packId);
  for (let round = 0; round < WARMUP_ROUNDS + setup.rounds; round++) {
    const bytes = Buffer.from(text);
    started = performance.now();
    sink += createHash('sha256').update(bytes).digest('hex').length;
    const floorMs = performance.now() - started;
    // Cross-check floor: serialising the bundle already in memory, and hashing the text.
    started = performance.now();
    sink += createHash('sha256').update(JSON.stringify(bundle)).digest('hex').length;
    const jsonFloorMs = performance.now() - started;
    started = performance.now();
    bundle = await packs.bundle(packId);
    text = JSON.stringify(bundle);
    const exportMs = performance.now() - started;
    if (round < WARMUP_ROUNDS) continue;
    floors.push(floorMs);
    jsonFloors.push(jsonFloorMs);
    exports.push(exportMs);
  }
  if (sink === 0) throw new Error('the floor computed nothing');
  const bytes = Buffer.from(text);
  const bundleFile = join(workDir, `${setup.file}.bundle.json`);
  const keyFile = join(workDir, `${setup.file}.key.pem`);
  writeFileSync(bundleFile, bytes);
  writeFileSync(keyFile, signingKey.publicKeyPem);
  const shape = bundleShape(text);
  const size = `${formatNumber(bytes.length / MB)} MB`;
  report.note(
    `${setup.label} bundle: ${size} (${shape}); first export ${formatNumber(firstMs)} ms ` +
      `(signs the audit checkpoint); floor ${runs(floors)} ms; export ${runs(exports)} ms`,
  );
  const target = setup.target ? { target: BUNDLE_TARGET } : {};
  report.figure({
    name: `export ${setup.label} bundle (${size})`,
    value: median(exports),
    unit: 'ms',
    baseline: { name: 'SHA-256 of its bytes', value: median(floors), unit: 'ms' },
    ...target,
    detail:
      `PackService.bundle(id) + JSON.stringify, SQLite, checkpoint already signed; floor: SHA-256 over the ` +
      `bundle's UTF-8 bytes in memory; median of ${setup.rounds} alternating rounds after ${WARMUP_ROUNDS} warm-up`,
  });
  report.figure({
    name: '  same export vs JSON.stringify + SHA-256',
    value: median(exports),
    unit: 'ms',
    baseline: { name: 'JSON.stringify + SHA-256', value: median(jsonFloors), unit: 'ms' },
    detail:
      'cross-check: JSON.stringify of the bundle object already in memory + SHA-256 of the text, timed in ' +
      'the same rounds: what serialising any JSON bundle of this size costs before it is read from anywhere',
  });

  if (setup.processes === 0) return;
  // Offline verify: fresh processes, each measuring its own floor on the same bytes.
  const measured = [];
  for (let i = 0; i < setup.processes; i++) {
    const profileAs = i === 0 ? `verify-${setup.file}` : undefined;
    measured.push(
      await runVerifyChild(child, 'measure', {
        bundleFile,
        keyFile,
        warmRuns: WARM_VERIFIES,
        ...(profileAs ? { profileAs } : {}),
      }),
    );
  }
  const whole = await runVerifyChild(child, 'cli', { bundleFile, keyFile, warmRuns: 0 });
  for (const run of [...measured, whole]) {
    if (run.report.bytes !== bytes.length) throw new Error('the verify child read another file');
  }
  const childFloor = median(measured.map((m) => m.report.floor!.ms));
  const cold = measured.map((m) => m.report.cold);
  const warm = measured.flatMap((m) => m.report.warm);
  const direct = measured.flatMap((m) => m.report.direct);
  const floor = { name: 'SHA-256 of its bytes', value: childFloor, unit: 'ms' };
  const ms = (timings: readonly Timing[]) => median(timings.map((t) => t.ms));
  const cpu = (timings: readonly Timing[]) => median(timings.map((t) => t.cpuMs));
  report.note(
    `${setup.label} verify: floor in the children ${runs(measured.map((m) => m.report.floor!.ms))} ms; ` +
      `cold CLI ${runs(cold.map((t) => t.ms))} ms (CPU ${runs(cold.map((t) => t.cpuMs))}); ` +
      `warm CLI median ${formatNumber(ms(warm))} ms (CPU ${formatNumber(cpu(warm))}); ` +
      `direct median ${formatNumber(ms(direct))} ms; ${whole.report.verdict}`,
  );
  report.figure({
    name: `verify ${setup.label} bundle: cabinet verify, fresh process`,
    value: ms(cold),
    unit: 'ms',
    baseline: floor,
    ...target,
    detail:
      `main(['verify', file, '--key', keyFile]) timed from call to return (read, JSON.parse, verifyBundle, report), ` +
      `the first verify of a fresh process with its modules loaded; floor: SHA-256 of the file's bytes in the ` +
      `same process; median of ${setup.processes} processes`,
  });
  report.figure({
    name: '  same CLI call, warm (repeated in the process)',
    value: ms(warm),
    unit: 'ms',
    baseline: floor,
    detail: `${WARM_VERIFIES} more calls in each of the ${setup.processes} processes, median`,
  });
  report.figure({
    name: '  same warm CLI call vs decode + JSON.parse + SHA-256',
    value: ms(warm),
    unit: 'ms',
    baseline: {
      name: 'JSON.parse + SHA-256',
      value: median(measured.map((m) => m.report.jsonFloor!.ms)),
      unit: 'ms',
    },
    detail:
      "cross-check: UTF-8 decode + JSON.parse + SHA-256 of the file's bytes in the same processes (warm), " +
      'the least any verifier of a JSON bundle does',
  });
  report.figure({
    name: '  readFile + JSON.parse + verifyBundle, warm, no CLI',
    value: ms(direct),
    unit: 'ms',
    baseline: floor,
    detail: 'the library path with the trusted key, alternating with the warm CLI calls, median',
  });
  report.figure({
    name: '  whole `cabinet verify` process (start, load, verify, exit)',
    value: whole.processMs,
    unit: 'ms',
    detail: `fork to exit of one process that only verifies; the verify itself took ${formatNumber(whole.report.cold.ms)} ms`,
  });
}

/** What makes up the bundle's bytes: documents, the envelope (body again, in base64), the rest. */
function bundleShape(text: string): string {
  const bundle = JSON.parse(text) as {
    documents: { content_base64: string }[];
    envelope: { payload: string };
    pack: { body: unknown };
    audit: { events: unknown[] };
  };
  const part = (n: number) => `${formatNumber(n / MB)} MB`;
  const documents = bundle.documents.reduce((sum, d) => sum + d.content_base64.length, 0);
  return (
    `${bundle.documents.length} documents ${part(documents)} base64, ` +
    `body ${part(JSON.stringify(bundle.pack.body).length)}, ` +
    `envelope payload ${part(bundle.envelope.payload.length)} base64, ` +
    `${bundle.audit.events.length} audit events`
  );
}

/** A whole count as people write it: 5, 840, 10,000. */
const count = (n: number) => n.toLocaleString('en-US');

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1]!;

const runs = (values: readonly number[]) => values.map((v) => formatNumber(v)).join(', ');

function nonNegativeInt(variable: string, fallback: number, min: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${variable} must be a whole number ≥ ${min} (got ${JSON.stringify(raw)})`);
  }
  return value;
}
