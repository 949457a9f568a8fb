/**
 * Intake benches (`npm run bench -- intake`):
 *  1. a generated 10,000-component CycloneDX SBOM and a 2,000-finding Trivy report: parse +
 *     validate (parseDocumentEvidence) against the floor of JSON.parse + SHA-256 of the same
 *     bytes; the whole EvidenceService receive + store path on SQLite against the same floor; and each
 *     at double the size against itself;
 *  2. peak memory of ingesting a 50 MB SBOM, in a fresh process, against the document's size;
 *  3. a body over the configured limit answered 413 without being read: bytes a client got to
 *     write before the answer, streamed without a length and declared with one;
 *  4. artifact upload over HTTP against the machine's streaming SHA-256 speed, with the
 *     storage pipeline (hash + parts into SQLite, no HTTP) timed apart.
 *
 * Every figure compares work done in the same run. Sizes can be lowered for a quick look:
 * CABINET_BENCH_INTAKE_COMPONENTS, _FINDINGS, _ROUNDS, _BIG_MB, _UPLOAD_MB, _OVERSIZE_MB.
 * CABINET_BENCH_CPU_PROF=<dir> makes the child processes write V8 CPU profiles there
 * (summarise them with bench/cpu-profile-summary.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PART_BYTES } from '../src/blobs/blob-parts.js';
import { recordUploadedBlob } from '../src/blobs/blob-store.js';
import { uploadToParts } from '../src/blobs/upload-to-parts.js';
import type { Container } from '../src/composition-root.js';
import { type DocumentKind, parseDocumentEvidence } from '../src/evidence/parse-evidence.js';
import { INLINE_PARSE_BYTES } from '../src/evidence/parse-pool.js';
import { benchContainer, benchEnv, tempSqlite } from './bench-databases.js';
import { generateCycloneDx } from './generators/cyclonedx.js';
import { generateSpdx } from './generators/spdx.js';
import { generateTrivyReport } from './generators/trivy.js';
import type { MemoryReport } from './intake-child.js';
import {
  type ChildEntry,
  prepareIntakeChild,
  type RunningServer,
  runMemoryChild,
  startServerChild,
} from './intake-processes.js';
import { type IntakeWorld, intakeWorld } from './intake-setup.js';
import { formatNumber, type Reporter } from './reporter.js';
import { hashFile, stamp, timed, uploadFile, writeRandomFile } from './upload-client.js';

const COMPONENTS = positiveInt('CABINET_BENCH_INTAKE_COMPONENTS', 10_000);
const FINDINGS = positiveInt('CABINET_BENCH_INTAKE_FINDINGS', 2_000);
/** Timed rounds of floor, parse and add, alternating, each keeping its fastest. */
const ROUNDS = positiveInt('CABINET_BENCH_INTAKE_ROUNDS', 5);
/** Untimed rounds first: JIT, the parse worker, its compiled schemas, SQLite pages. */
const WARMUP_ROUNDS = 2;
const BIG_MB = positiveInt('CABINET_BENCH_INTAKE_BIG_MB', 50);
/** Fresh processes ingesting the big SBOM with a warm worker; the worst peak is kept. */
const MEMORY_RUNS = 2;
const UPLOAD_MB = positiveInt('CABINET_BENCH_INTAKE_UPLOAD_MB', 256);
const UPLOAD_ROUNDS = 3;
/** CABINET_MAX_UPLOAD_BYTES of the server the over-limit requests go to. */
const SMALL_LIMIT = 1024 * 1024;
const OVERSIZE_MB = positiveInt('CABINET_BENCH_INTAKE_OVERSIZE_MB', 256);
const OVERSIZE_ATTEMPTS = 5;
/** How long a client with a declared over-limit length waits for an answer before sending. */
const DECLARED_WAIT_MS = 3_000;
/** A request body's pieces as they come off a socket. */
const BODY_CHUNK = 64 * 1024;
const MB = 1024 * 1024;

export async function run(report: Reporter): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'cabinet-bench-intake-'));
  try {
    await ingestFigures(report);
    const child = await prepareIntakeChild(join(workDir, 'child'));
    report.note(`child processes: ${child.runtime}`);
    await bigSbomMemory(report, child, workDir);
    await overLimit(report, child);
    await uploadThroughput(report, child, workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// 1. Parse + validate, and the whole add path, against JSON.parse + SHA-256; and doubling.

interface Workload {
  label: string;
  kind: DocumentKind;
  unit: string;
  count: number;
  generate(count: number, seed: number): string;
  /** What the parser reports for the document: it must be the generated count. */
  counted(summary: object): number | undefined;
}

const WORKLOADS: Workload[] = [
  {
    label: 'CycloneDX SBOM',
    kind: 'sbom',
    unit: 'components',
    count: COMPONENTS,
    generate: generateCycloneDx,
    counted: (summary) => (summary as { component_count?: number }).component_count,
  },
  {
    label: 'Trivy report',
    kind: 'vuln_scan',
    unit: 'findings',
    count: FINDINGS,
    generate: generateTrivyReport,
    counted: (summary) => (summary as { finding_count?: number }).finding_count,
  },
];

interface SizeTimes {
  count: number;
  bytes: number;
  floor: number[];
  parse: number[];
  add: number[];
}

async function ingestFigures(report: Reporter): Promise<void> {
  const database = tempSqlite();
  try {
    const world = await intakeWorld(benchEnv(database));
    try {
      for (const workload of WORKLOADS) await ingestScaling(report, world, workload);
    } finally {
      await world.close();
    }
  } finally {
    await database.dispose();
  }
}

/** A full collection between measurements (the V8 flag set at run time, as --expose-gc would). */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** The least any intake of a whole JSON document does: hash the bytes, decode and parse them. */
function floorOf(bytes: Buffer): number {
  const digest = createHash('sha256').update(bytes).digest('hex');
  const tree = JSON.parse(bytes.toString('utf8')) as object;
  return digest.length + Object.keys(tree).length;
}

function checkCount(workload: Workload, what: string, summary: object, expected: number): void {
  const got = workload.counted(summary);
  if (got !== expected) {
    throw new Error(
      `${what} of ${workload.label} reported ${got} ${workload.unit}, not ${expected}`,
    );
  }
}

/** parseDocumentEvidence timed; the result is checked and dropped here, not kept by the caller. */
function timeParse(workload: Workload, bytes: Buffer, expected: number): number {
  const started = performance.now();
  const parsed = parseDocumentEvidence(workload.kind, bytes);
  const ms = performance.now() - started;
  checkCount(workload, 'parseDocumentEvidence', parsed.summary, expected);
  return ms;
}

/** The body as a server receives it: in socket-sized pieces (views, no copy). */
function bodyOf(bytes: Buffer): { stream: Readable; contentLength: number } {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += BODY_CHUNK) {
    chunks.push(bytes.subarray(at, at + BODY_CHUNK));
  }
  return { stream: Readable.from(chunks), contentLength: bytes.length };
}

async function ingestScaling(report: Reporter, world: IntakeWorld, workload: Workload) {
  const intentId = await world.newIntent();
  const sizes: SizeTimes[] = [workload.count, 2 * workload.count].map((count) => ({
    count,
    bytes: 0,
    floor: [],
    parse: [],
    add: [],
  }));
  const check = (summary: object, expected: number) =>
    checkCount(workload, 'EvidenceService.add', summary, expected);
  let sink = 0;
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (const [index, size] of sizes.entries()) {
      // A new document every time (new seed): the add stores a new blob, never a dedup hit.
      const bytes = Buffer.from(workload.generate(size.count, 1_000 + 2 * round + index));
      // Each measurement starts from a collected heap and leaves nothing behind for the next
      // to collect: the floor's tree and the parse's summary are dropped before the add.
      collectGarbage();
      let started = performance.now();
      sink += floorOf(bytes);
      const floorMs = performance.now() - started;
      collectGarbage();
      const parseMs = timeParse(workload, bytes, size.count);
      collectGarbage();
      started = performance.now();
      const { database, evidence } = world.container;
      const received = await evidence.receive(intentId, workload.kind, bodyOf(bytes), {});
      const item = await database
        .transaction((trx) => evidence.store(trx, world.ctx, received))
        .finally(() => received.discard());
      const addMs = performance.now() - started;
      check(item.summary, size.count);
      if (round < WARMUP_ROUNDS) continue;
      size.bytes = bytes.length;
      size.floor.push(floorMs);
      size.parse.push(parseMs);
      size.add.push(addMs);
    }
  }
  if (sink === 0) throw new Error('the floor computed nothing');

  const [single, double] = sizes as [SizeTimes, SizeTimes];
  const ms = (values: number[]) => Math.min(...values);
  const runs = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
  const name = `${workload.label}, ${formatNumber(single.count)} ${workload.unit} (${formatNumber(single.bytes / MB)} MB)`;
  const floor = { name: 'JSON.parse + SHA-256', value: ms(single.floor), unit: 'ms' };
  report.note(
    `${name}: floor ${runs(single.floor)} ms; parse ${runs(single.parse)} ms; add ${runs(single.add)} ms ` +
      `| ×2: floor ${runs(double.floor)}; parse ${runs(double.parse)}; add ${runs(double.add)}`,
  );
  report.figure({
    name: `${name}: parse + validate`,
    value: ms(single.parse),
    unit: 'ms',
    baseline: floor,
    target: { on: 'ratio', op: '<=', limit: 3 },
    detail:
      `parseDocumentEvidence('${workload.kind}', bytes) on the main thread; floor: SHA-256 of the bytes, ` +
      `toString + JSON.parse; fastest of ${ROUNDS} alternating rounds each, after ${WARMUP_ROUNDS} warm-up, a new document every round`,
  });
  report.figure({
    name: '  with storage: EvidenceService.add, SQLite',
    value: ms(single.add),
    unit: 'ms',
    baseline: floor,
    target: { on: 'ratio', op: '<=', limit: 5 },
    detail:
      'the real container: body read from a stream of 64 KiB pieces, parsed on the worker thread, blob + item + audit ' +
      'event in one transaction (blob always new); same rounds as the floor',
  });
  report.figure({
    name: `  ×2 (${formatNumber(double.count)} ${workload.unit}, ${formatNumber(double.bytes / MB)} MB): parse + validate`,
    value: ms(double.parse),
    unit: 'ms',
    baseline: {
      name: `${formatNumber(single.count)} ${workload.unit}`,
      value: ms(single.parse),
      unit: 'ms',
    },
    target: { on: 'ratio', op: '<=', limit: 2.5 },
    detail: `the floor went ${formatNumber(ms(single.floor))} → ${formatNumber(ms(double.floor))} ms (${formatNumber(ms(double.floor) / ms(single.floor))}×) in the same rounds`,
  });
  report.figure({
    name: `  ×2: EvidenceService.add`,
    value: ms(double.add),
    unit: 'ms',
    baseline: {
      name: `${formatNumber(single.count)} ${workload.unit}`,
      value: ms(single.add),
      unit: 'ms',
    },
    target: { on: 'ratio', op: '<=', limit: 2.5 },
  });
}

// ---------------------------------------------------------------------------------------
// 2. Peak memory of a 50 MB SBOM's ingest, in fresh processes.

async function bigSbomMemory(report: Reporter, child: ChildEntry, workDir: string) {
  const sampleCount = 5_000;
  const perComponent = Buffer.byteLength(generateCycloneDx(sampleCount, 3)) / sampleCount;
  const count = Math.round((BIG_MB * MB) / perComponent);
  const file = join(workDir, 'big.cdx.json');
  writeFileSync(file, generateCycloneDx(count, 50));
  // A small SBOM still parsed on the worker (≥ INLINE_PARSE_BYTES): it starts the worker
  // and compiles the CycloneDX schema before the baseline, as any earlier upload would.
  const warmUpCount = Math.ceil((1.5 * INLINE_PARSE_BYTES) / perComponent);
  const warmUpFile = join(workDir, 'warm-up.cdx.json');
  writeFileSync(warmUpFile, generateCycloneDx(warmUpCount, 51));
  const documentBytes = readFileSync(file).length;
  const warmUpBytes = readFileSync(warmUpFile).length;

  const runChild = async (mode: 'ingest' | 'parse' | 'floor', warm: boolean) => {
    const database = tempSqlite();
    try {
      const result = await runMemoryChild(
        child,
        mode,
        { file, kind: 'sbom', warmUpFile: warm ? warmUpFile : undefined },
        { ...benchEnv(database), CABINET_MAX_UPLOAD_BYTES: String(2 * documentBytes) },
      );
      // The floor counts top-level components only (nested ones are not walked).
      if (mode !== 'floor' && result.items !== count) {
        throw new Error(`the ${mode} child saw ${result.items} of ${count} components`);
      }
      return result;
    } finally {
      await database.dispose();
    }
  };
  const warm: MemoryReport[] = [];
  for (let i = 0; i < MEMORY_RUNS; i++) warm.push(await runChild('ingest', true));
  const cold = await runChild('ingest', false);
  const parseOnly = await runChild('parse', true);
  const floor = await runChild('floor', false);

  const growth = (r: MemoryReport) => (r.peakRssBytes - r.rssBeforeBytes) / MB;
  const size = { name: 'document', value: documentBytes / MB, unit: 'MB' };
  const describe = (r: MemoryReport) =>
    `RSS ${formatNumber(r.rssBeforeBytes / MB)} → peak ${formatNumber(r.peakRssBytes / MB)} MB ` +
    `(${r.peakSource}; 5 ms samples peaked at ${formatNumber(r.sampledPeakBytes / MB)} MB), ${(r.ms / 1000).toFixed(2)} s`;
  const worst = warm.reduce((a, b) => (growth(b) > growth(a) ? b : a));
  report.figure({
    name: `${formatNumber(documentBytes / MB)} MB SBOM (${formatNumber(count)} components): ingest peak RSS growth`,
    value: growth(worst),
    unit: 'MB',
    baseline: size,
    target: { on: 'ratio', op: '<=', limit: 4 },
    detail:
      `EvidenceService.add from a 64 KiB-chunk stream in a fresh process; growth = VmHWM (reset just before the ` +
      `document is read) − RSS at that moment: container open, intent made, parse worker running after a ` +
      `${formatNumber(warmUpBytes / 1024)} KB warm-up SBOM, no byte of this document in the process. ` +
      `Worst of ${MEMORY_RUNS}: ${describe(worst)}`,
  });
  report.figure({
    name: '  same, first SBOM after start (cold worker)',
    value: growth(cold),
    unit: 'MB',
    baseline: size,
    detail: `no warm-up: the worker's start and its schema compilation fall inside the peak; ${describe(cold)}`,
  });
  report.figure({
    name: '  of which: parseDocumentEvidence alone',
    value: growth(parseOnly),
    unit: 'MB',
    baseline: size,
    detail: `readFileSync + parse on the main thread (schema compiled by the warm-up), no worker, no storage; ${describe(parseOnly)}`,
  });
  report.figure({
    name: '  floor: read + SHA-256 + JSON.parse',
    value: growth(floor),
    unit: 'MB',
    baseline: size,
    detail: `bytes + decoded text + object tree, what any whole-document parse holds at once; ${describe(floor)}`,
  });

  // The same ingest for an SPDX document of about the same size (its own streaming parser).
  const perPackage = Buffer.byteLength(generateSpdx(sampleCount, 3)) / sampleCount;
  const packages = Math.round((BIG_MB * MB) / perPackage);
  const spdxFile = join(workDir, 'big.spdx.json');
  writeFileSync(spdxFile, generateSpdx(packages, 50));
  const spdxWarmUp = join(workDir, 'warm-up.spdx.json');
  writeFileSync(spdxWarmUp, generateSpdx(Math.ceil((1.5 * INLINE_PARSE_BYTES) / perPackage), 51));
  const spdxBytes = readFileSync(spdxFile).length;
  const spdxRuns: MemoryReport[] = [];
  for (let i = 0; i < MEMORY_RUNS; i++) {
    const database = tempSqlite();
    try {
      const result = await runMemoryChild(
        child,
        'ingest',
        { file: spdxFile, kind: 'sbom', warmUpFile: spdxWarmUp },
        { ...benchEnv(database), CABINET_MAX_UPLOAD_BYTES: String(2 * spdxBytes) },
      );
      if (result.items !== packages) {
        throw new Error(`the SPDX ingest child saw ${result.items} of ${packages} packages`);
      }
      spdxRuns.push(result);
    } finally {
      await database.dispose();
    }
  }
  const worstSpdx = spdxRuns.reduce((a, b) => (growth(b) > growth(a) ? b : a));
  report.figure({
    name: `${formatNumber(spdxBytes / MB)} MB SPDX SBOM (${formatNumber(packages)} packages): ingest peak RSS growth`,
    value: growth(worstSpdx),
    unit: 'MB',
    baseline: { name: 'document', value: spdxBytes / MB, unit: 'MB' },
    target: { on: 'ratio', op: '<=', limit: 4 },
    detail: `as above for SPDX 2.3 (packages, files, DESCRIBES and DEPENDS_ON relationships), warm worker after an SPDX warm-up. Worst of ${MEMORY_RUNS}: ${describe(worstSpdx)}`,
  });
}

// ---------------------------------------------------------------------------------------
// 3. Over the limit: 413 without reading the body.

interface OversizeResult {
  status: number | null;
  /** What ended the exchange when no answer came (error code, or `timeout`). */
  error: string | null;
  /** Body bytes the kernel accepted from the client before it had the answer. */
  flushedBytes: number;
}

/**
 * POSTs `total` bytes of body, streamed with backpressure, and stops writing as soon as an
 * answer arrives. With `declared`, the Content-Length is sent and the client waits
 * DECLARED_WAIT_MS for an answer before it starts on the body at all.
 */
function sendOversize(
  server: RunningServer,
  path: string,
  total: number,
  declared: boolean,
): Promise<OversizeResult> {
  return new Promise((done) => {
    let status: number | null = null;
    let flushedBytes = 0;
    let queued = 0;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path,
      headers: {
        authorization: `Bearer ${server.token}`,
        'content-type': 'application/octet-stream',
        ...(declared ? { 'content-length': String(total) } : {}),
      },
    });
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      req.destroy();
      done({ status, error, flushedBytes });
    };
    req.on('response', (response) => {
      status = response.statusCode ?? null;
      response.resume();
      response.on('end', () => finish(null));
      response.on('error', () => finish(null));
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    const chunk = Buffer.alloc(BODY_CHUNK, 0x7b);
    const pump = () => {
      while (!settled && status === null && queued < total) {
        queued += chunk.length;
        const more = req.write(chunk, (error) => {
          if (!error) flushedBytes += chunk.length;
        });
        if (!more) {
          req.once('drain', pump);
          return;
        }
      }
      if (!settled && status === null) req.end();
    };
    if (declared) {
      req.flushHeaders();
      timers.push(setTimeout(pump, DECLARED_WAIT_MS));
    } else {
      pump();
    }
    timers.push(setTimeout(() => finish('timeout'), 120_000));
  });
}

/** Most bytes the kernel can hold in flight on one loopback connection: send + receive buffers. */
function socketBufferBytes(): { bytes: number; source: string } {
  const maxOf = (file: string) => Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
  try {
    const send = maxOf('/proc/sys/net/ipv4/tcp_wmem');
    const receive = maxOf('/proc/sys/net/ipv4/tcp_rmem');
    if (Number.isFinite(send + receive)) {
      return {
        bytes: send + receive,
        source: `tcp_wmem max ${formatNumber(send / MB)} MB + tcp_rmem max ${formatNumber(receive / MB)} MB`,
      };
    }
  } catch {
    // Not Linux: the Linux defaults below.
  }
  return { bytes: 10 * MB, source: 'assumed 4 MB send + 6 MB receive (Linux defaults)' };
}

async function overLimit(report: Reporter, child: ChildEntry): Promise<void> {
  const database = tempSqlite();
  try {
    const server = await startServerChild(child, {
      ...benchEnv(database),
      CABINET_MAX_UPLOAD_BYTES: String(SMALL_LIMIT),
    });
    try {
      const total = OVERSIZE_MB * MB;
      const buffers = socketBufferBytes();
      const allowance = 2 * SMALL_LIMIT + buffers.bytes;
      const routes = [
        {
          name: 'artifact upload',
          path: '/api/v1/artifacts?filename=oversize.bin&publisher=bench',
        },
        { name: 'evidence', path: `/api/v1/intents/${server.intentId}/evidence?kind=sbom` },
      ];
      for (const route of routes) {
        const attempts: OversizeResult[] = [];
        for (let i = 0; i < OVERSIZE_ATTEMPTS; i++) {
          attempts.push(await sendOversize(server, route.path, total, false));
        }
        const answers = attempts.map((a) =>
          a.status === null ? (a.error ?? '?') : String(a.status),
        );
        const all413 = attempts.every((a) => a.status === 413);
        const worst = Math.max(...attempts.map((a) => a.flushedBytes));
        report.figure({
          name: `${route.name}, streamed ${OVERSIZE_MB} MB, no length: written before the 413`,
          // No 413 at all is a failure whatever was written: say so in the detail, fail the row.
          value: all413 ? worst / MB : Number.POSITIVE_INFINITY,
          unit: 'MB',
          baseline: { name: 'body offered', value: total / MB, unit: 'MB' },
          target: { on: 'value', op: '<=', limit: allowance / MB },
          detail:
            `limit ${formatNumber(SMALL_LIMIT / MB)} MB; the real app in a child process on 127.0.0.1; answers ${answers.join(', ')}; ` +
            `body bytes the kernel took before the answer, worst of ${OVERSIZE_ATTEMPTS}` +
            `${all413 ? '' : ` (${formatNumber(worst / MB)} MB)`}. Target 2 × limit + what the socket ` +
            `buffers can hold in flight (${buffers.source}): bytes the server never read`,
        });
        const declared = await sendOversize(server, route.path, total, true);
        report.figure({
          name: `${route.name}, Content-Length ${OVERSIZE_MB} MB: body sent before the 413`,
          value: declared.status === 413 ? declared.flushedBytes : Number.POSITIVE_INFINITY,
          unit: 'bytes',
          target: { on: 'value', op: '<=', limit: 0 },
          detail:
            `headers only, then ${DECLARED_WAIT_MS / 1000} s of waiting before any body is sent; answer ` +
            `${declared.status ?? declared.error}, after ${formatNumber(declared.flushedBytes)} body bytes`,
        });
      }
    } finally {
      await server.stop();
    }
  } finally {
    await database.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// 4. Artifact upload throughput against streaming SHA-256.

/**
 * The storage pipeline without HTTP: uploadToParts from a file stream (hash + 1 MiB parts, each
 * its own autocommit INSERT), then the blob row in one transaction, as the upload route does.
 */
async function storeParts(store: Container, file: string, size: number): Promise<string> {
  const at = new Date().toISOString();
  const parts = await uploadToParts(
    store.database.db,
    { stream: createReadStream(file), contentLength: size },
    2 * size,
    at,
  );
  const stored = await store.database.transaction((trx) => recordUploadedBlob(trx, parts, at));
  if (!stored) throw new Error('the store round found its blob already there');
  return parts.sha256;
}

async function uploadThroughput(report: Reporter, child: ChildEntry, workDir: string) {
  const size = UPLOAD_MB * MB;
  const file = join(workDir, 'artifact.bin');
  writeRandomFile(file, size);
  const serverDb = tempSqlite();
  const storeDb = tempSqlite();
  try {
    const env = { ...benchEnv(serverDb), CABINET_MAX_UPLOAD_BYTES: String(2 * size) };
    const server = await startServerChild(child, env, { profileAs: 'upload-server' });
    const bare = await startServerChild(child, env, { bare: true });
    const store = await benchContainer(storeDb);
    const times = {
      hash: [] as number[],
      bare: [] as number[],
      store: [] as number[],
      upload: [] as number[],
    };
    try {
      for (let round = 0; round < UPLOAD_ROUNDS; round++) {
        stamp(file, round);
        const hash = await timed(() => hashFile(file));
        const overHttp = await timed(() => uploadFile(bare, file, size, 'bench-artifact.bin'));
        if (overHttp.value !== hash.value) throw new Error('the bare server hashed differently');
        const stored = await timed(() => storeParts(store, file, size));
        if (stored.value !== hash.value) throw new Error('uploadToParts hashed differently');
        const uploaded = await timed(() => uploadFile(server, file, size, 'bench-artifact.bin'));
        if (uploaded.value !== hash.value) throw new Error('the upload answered another digest');
        times.hash.push(hash.ms);
        times.bare.push(overHttp.ms);
        times.store.push(stored.ms);
        times.upload.push(uploaded.ms);
      }
    } finally {
      await store.close();
      await bare.stop();
      await server.stop();
    }
    const rate = (ms: number[]) => UPLOAD_MB / (Math.min(...ms) / 1000);
    const runs = (ms: number[]) =>
      ms.map((m) => `${(UPLOAD_MB / (m / 1000)).toFixed(0)}`).join(', ');
    const baseline = {
      name: 'streaming SHA-256 of the file',
      value: rate(times.hash),
      unit: 'MB/s',
    };
    report.note(
      `MB/s by round: SHA-256 ${runs(times.hash)}; bare HTTP + SHA-256 ${runs(times.bare)}; ` +
        `uploadToParts ${runs(times.store)}; upload ${runs(times.upload)}`,
    );
    const inserts = formatNumber(Math.ceil(size / PART_BYTES));
    report.figure({
      name: `artifact upload, ${UPLOAD_MB} MB over HTTP`,
      value: rate(times.upload),
      unit: 'MB/s',
      baseline,
      target: { on: 'ratio', op: '>=', limit: 0.7 },
      detail:
        `POST /api/v1/artifacts with Content-Length, streamed from the file (64 KiB reads) over loopback to the real app ` +
        `in a child process, first byte to the 201 (hashed while it arrives, written as it arrives into 1 MiB parts, ` +
        `${inserts} autocommit INSERTs on the main thread, then blob row + record + audit event in one short SQLite ` +
        `transaction; no staging file); baseline: createReadStream → SHA-256 in this process; fastest of ` +
        `${UPLOAD_ROUNDS} alternating rounds each, a new artifact every round`,
    });
    report.figure({
      name: '  ceiling: bare node:http server that only hashes',
      value: rate(times.bare),
      unit: 'MB/s',
      baseline,
      detail:
        'the same client and loopback to a child process whose handler only SHA-256es the body: what Node HTTP allows here',
    });
    report.figure({
      name: '  of which: storage without HTTP (uploadToParts, SQLite)',
      value: rate(times.store),
      unit: 'MB/s',
      baseline,
      detail:
        `uploadToParts from a file stream in this process: SHA-256 + ${inserts} parts of 1 MiB, each its own ` +
        'autocommit INSERT, then the blob row in one transaction: the upload minus HTTP, record and audit event',
    });
  } finally {
    await serverDb.dispose();
    await storeDb.dispose();
  }
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
