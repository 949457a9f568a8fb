/**
 * CAB benches (`npm run bench -- cab`), against the real server (src/server.ts startServer,
 * scheduler and all) in processes of its own, the bench process being the clients over
 * loopback. Every figure is compared to a plain authenticated read (GET /api/v1/me: token
 * lookup, JSON answer) sent by the same clients to the same server in the same run.
 *
 *  1. Decisions: pending requests (each a `normal` change needing one approval, with a pack
 *     and intent of its own, copied from one real request; see bench/cab-setup.ts), 50 CAB
 *     members each POSTing /api/v1/cab/{id}/approve {} on distinct requests, all at once:
 *     decisions/s and p50/p99 latency, on SQLite and on PostgreSQL, there with one and with
 *     two server processes sharing the database. Rounds alternate reads and decisions; half
 *     of each round's votes ask for the whole request back, half `Prefer: return=minimal`.
 *  2. Queue: GET /api/v1/cab/pending over 100,000 stored requests, one client: p99 of a page
 *     of 50, the first and a deep one (the cursor followed ~200 pages), unfiltered, with each
 *     filter and with each sort, sampled round-robin with the baseline read.
 *  3. `cabinet gate ID --ring ring0` as a process (the built CLI, bin/cabinet.js) against the
 *     SQLite server, median of fresh processes, beside `node -e 0` timed in alternation.
 *
 * Knobs for a quick run (CABINET_BENCH_CAB_*): _CLIENTS (50), _DECISIONS (SQLite, 3000),
 * _PG_DECISIONS (per PostgreSQL configuration, 1500), _ROUNDS (3), _READS (baseline reads per
 * client per round, 20), _QUEUE (stored requests, 100000; 0 skips), _QUEUE_SAMPLES (200),
 * _QUEUE_DEPTH (pages followed, 200), _GATE_RUNS (10; 0 skips), _SQLITE (0 skips SQLite: decisions, queue and
 * gate), _POSTGRES (0 skips it).
 * CABINET_BENCH_CPU_PROF=<dir> makes each server process write a V8 CPU profile there
 * (summarise it with bench/cpu-profile-summary.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  type BenchDatabase,
  benchEnv,
  choosePostgres,
  tempSqlite,
  throwawayPostgres,
} from './bench-databases.js';
import {
  type Answer,
  type Burst,
  burst,
  type Call,
  Client,
  median,
  percentile,
} from './cab-load.js';
import {
  type ChildEntry,
  prepareServerChild,
  type ServerProcess,
  startServerProcess,
} from './cab-processes.js';
import { type CabWorld, cabWorld } from './cab-setup.js';
import { intKnob } from './knobs.js';
import { formatNumber, type Reporter, type Target } from './reporter.js';

const CLIENTS = intKnob('CABINET_BENCH_CAB_CLIENTS', 50, 1);
const SQLITE_DECISIONS = intKnob('CABINET_BENCH_CAB_DECISIONS', 3_000, 1);
const PG_DECISIONS = intKnob('CABINET_BENCH_CAB_PG_DECISIONS', 1_500, 1);
const ROUNDS = intKnob('CABINET_BENCH_CAB_ROUNDS', 3, 1);
const READS = intKnob('CABINET_BENCH_CAB_READS', 20, 1);
const QUEUE = intKnob('CABINET_BENCH_CAB_QUEUE', 100_000, 0);
const QUEUE_SAMPLES = intKnob('CABINET_BENCH_CAB_QUEUE_SAMPLES', 200, 1);
const QUEUE_DEPTH = intKnob('CABINET_BENCH_CAB_QUEUE_DEPTH', 200, 1);
const GATE_RUNS = intKnob('CABINET_BENCH_CAB_GATE_RUNS', 10, 0);
const SQLITE = intKnob('CABINET_BENCH_CAB_SQLITE', 1, 0) > 0;
const POSTGRES = intKnob('CABINET_BENCH_CAB_POSTGRES', 1, 0) > 0;
/** Submitters the queue's requests spread over (the submitted_by filter picks one). */
const SUBMITTERS = 5;
/** Untimed first: one decision and a few reads per client (JIT, SQLite pages, pool). */
const WARMUP_READS = 5;

const DECISIONS_TARGET: Target = { on: 'value', op: '>=', limit: 1_000 };
const DECISION_P99_TARGET: Target = { on: 'ratio', op: '<=', limit: 10 };
const QUEUE_P99_TARGET: Target = { on: 'value', op: '<=', limit: 20 };
const GATE_TARGET: Target = { on: 'value', op: '<=', limit: 300 };

const ME = '/api/v1/me';
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export async function run(report: Reporter): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'cabinet-bench-cab-'));
  try {
    const child = await prepareServerChild(join(workDir, 'child'));
    report.note(`server processes: ${child.runtime}; ${CLIENTS} clients in the bench process`);
    if (SQLITE) await onSqlite(report, child);
    else report.skip('SQLite figures', 'CABINET_BENCH_CAB_SQLITE=0');
    if (!POSTGRES) {
      report.skip('PostgreSQL decisions', 'CABINET_BENCH_CAB_POSTGRES=0');
      return;
    }
    const choice = await choosePostgres();
    if ('skip' in choice) {
      report.skip('PostgreSQL decisions', choice.skip);
      return;
    }
    report.note(`PostgreSQL: ${choice.source}`);
    await onPostgres(report, child, choice.url);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Databases and servers, always disposed.

async function withWorld<T>(
  database: BenchDatabase,
  work: (world: CabWorld) => Promise<T>,
): Promise<T> {
  try {
    const world = await cabWorld(database, { members: CLIENTS, submitters: SUBMITTERS });
    try {
      return await work(world);
    } finally {
      await world.close();
    }
  } finally {
    await database.dispose();
  }
}

async function withServers<T>(
  child: ChildEntry,
  database: BenchDatabase,
  names: readonly string[],
  work: (servers: ServerProcess[]) => Promise<T>,
): Promise<T> {
  const servers: ServerProcess[] = [];
  let result: T;
  try {
    for (const name of names) {
      servers.push(await startServerProcess(child, benchEnv(database), name));
    }
    result = await work(servers);
  } catch (error) {
    await Promise.allSettled(servers.map((s) => s.stop()));
    throw error;
  }
  // A server that fails to stop cleanly (its last checkpoint, its container) fails the bench.
  await Promise.all(servers.map((s) => s.stop()));
  return result;
}

async function onSqlite(report: Reporter, child: ChildEntry): Promise<void> {
  const database = tempSqlite();
  await withWorld(database, async (world) => {
    const t = world.template;
    report.note(
      `template request: ${t.recommendation} score ${t.riskScore}, ${t.violationCount} violation, ` +
        `${t.approvalsRequired} approval required, pack body ${formatNumber(t.packBodyBytes / 1024)} KB`,
    );
    const started = performance.now();
    const ids = await world.copyPending(warmupDecisions() + SQLITE_DECISIONS + 1);
    // One stays pending for `cabinet gate` to refuse.
    const pending = ids.pop()!;
    report.note(
      `SQLite: ${ids.length + 1} pending requests copied in ${formatNumber((performance.now() - started) / 1000)} s`,
    );
    // The bench's own container stays open, idle, while the server processes serve.
    const decided = await withServers(child, database, ['sqlite-decisions'], async (servers) => {
      const stats = await decisions(world, servers, ids);
      reportDecisions(report, 'SQLite', stats, true);
      const approved = ids.at(-1)!;
      await gateProcess(report, servers[0]!, world, approved, pending);
      return stats.decided;
    });
    if (QUEUE === 0) {
      report.skip('queue figures', 'CABINET_BENCH_CAB_QUEUE=0');
      return;
    }
    const fill = await world.fillQueue(QUEUE);
    report.note(
      `SQLite queue: ${fill.rows.toLocaleString('en-US')} requests stored (${fill.pending.toLocaleString('en-US')} pending, ` +
        `each with an intent and a minimal pack row) in ${formatNumber(fill.ms / 1000)} s, besides the ${decided} decided above`,
    );
    await withServers(child, database, ['sqlite-queue'], (servers) =>
      queue(report, 'SQLite', servers[0]!, world),
    );
  });
}

async function onPostgres(report: Reporter, child: ChildEntry, adminUrl: string): Promise<void> {
  const database = await throwawayPostgres(adminUrl);
  await withWorld(database, async (world) => {
    const per = warmupDecisions() + PG_DECISIONS;
    const started = performance.now();
    const ids = await world.copyPending(2 * per);
    report.note(
      `PostgreSQL: ${ids.length} pending requests copied in ${formatNumber((performance.now() - started) / 1000)} s`,
    );
    const one = await withServers(child, database, ['pg-one'], async (servers) => {
      const stats = await decisions(world, servers, ids.slice(0, per));
      reportDecisions(report, 'PostgreSQL, 1 process', stats, false);
      return stats;
    });
    await withServers(child, database, ['pg-two-a', 'pg-two-b'], async (servers) => {
      const stats = await decisions(world, servers, ids.slice(per));
      reportDecisions(report, 'PostgreSQL, 2 processes', stats, false);
      report.figure({
        name: 'PostgreSQL: decisions/s, 2 processes vs 1',
        value: stats.answers.full.decisionsPerSecond,
        unit: '/s',
        baseline: { name: '1 process', value: one.answers.full.decisionsPerSecond, unit: '/s' },
        detail:
          `two server processes on one database, ${Math.ceil(CLIENTS / 2)} + ${Math.floor(CLIENTS / 2)} clients; ` +
          'the ratio is how far a second instance adds throughput (the machine has 2 cores for both, the database and the clients)',
      });
    });
  });
}

// ---------------------------------------------------------------------------------------
// 1. Decisions against the plain authenticated read, same clients, same servers.

/** The two answers a vote can ask for: the request whole (default) or its row. */
type AnswerKind = 'full' | 'minimal';
const ANSWER_KINDS: readonly AnswerKind[] = ['full', 'minimal'];

interface AnswerStats {
  decisionsPerSecond: number;
  decision: number[];
  /** Mean size of an approve answer, bytes. */
  answerBytes: number;
}

interface DecisionStats {
  servers: number;
  decided: number;
  readsPerSecond: number;
  read: number[];
  gate: number[];
  answers: Record<AnswerKind, AnswerStats>;
}

const warmupDecisions = () => CLIENTS;

/** Client i talks to server i mod n, as member i. */
function clientsFor(world: CabWorld, servers: readonly ServerProcess[]) {
  return world.members.map((member, i) => ({
    member,
    client: new Client(servers[i % servers.length]!.url),
  }));
}

const expectStatus =
  (status: number) =>
  (answer: Answer): string | null =>
    answer.status === status ? null : `${answer.status} ${answer.body.slice(0, 300)}`;

const expectApproved = (answer: Answer): string | null => {
  if (answer.status !== 200) return `${answer.status} ${answer.body.slice(0, 300)}`;
  const status = (JSON.parse(answer.body) as { status?: string }).status;
  return status === 'approved' ? null : `answered the request ${status}`;
};

function assertClean(what: string, result: Burst): void {
  if (result.failures > 0) {
    throw new Error(
      `${what}: ${result.failures} unexpected answers; first: ${result.firstFailure}`,
    );
  }
}

async function decisions(
  world: CabWorld,
  servers: readonly ServerProcess[],
  ids: readonly string[],
): Promise<DecisionStats> {
  const lanes = clientsFor(world, servers);
  const gateOf = ids[0]!; // pending throughout the reads below: every gate check is refused.
  try {
    const reads = (path: string, count: number) =>
      lanes.map(({ client, member }) => ({
        client,
        calls: Array.from(
          { length: count },
          (): Call => ({ method: 'GET', path, token: member.token }),
        ),
      }));
    const votes = (slice: readonly string[], answer: AnswerKind = 'full') =>
      lanes.map(({ client, member }, c) => ({
        client,
        calls: slice
          .filter((_, i) => i % lanes.length === c)
          .map(
            (id): Call => ({
              method: 'POST',
              path: `/api/v1/cab/${id}/approve`,
              token: member.token,
              body: '{}',
              ...(answer === 'minimal' ? { headers: { prefer: 'return=minimal' } } : {}),
            }),
          ),
      }));
    const gatePath = `/api/v1/cab/${gateOf}/gate?ring=ring0`;
    // Warm-up, untimed; the gate's request is decided last, after the rounds.
    assertClean('warm-up reads', await burst(reads(ME, WARMUP_READS), expectStatus(200)));
    assertClean('warm-up gate', await burst(reads(gatePath, WARMUP_READS), expectStatus(200)));
    const warm = ids.slice(1, 1 + warmupDecisions());
    assertClean('warm-up decisions', await burst(votes(warm), expectApproved));

    const timed = [...ids.slice(1 + warm.length), gateOf];
    const stats: DecisionStats = {
      servers: servers.length,
      decided: warm.length,
      readsPerSecond: 0,
      read: [],
      gate: [],
      answers: {
        full: { decisionsPerSecond: 0, decision: [], answerBytes: 0 },
        minimal: { decisionsPerSecond: 0, decision: [], answerBytes: 0 },
      },
    };
    const wall: Record<AnswerKind, number> = { full: 0, minimal: 0 };
    const bytes: Record<AnswerKind, number> = { full: 0, minimal: 0 };
    let readMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const read = await burst(reads(ME, READS), expectStatus(200));
      assertClean('reads', read);
      stats.read.push(...read.latencies);
      readMs += read.wallMs;
      const gate = await burst(reads(gatePath, READS), expectStatus(200));
      assertClean('gate reads', gate);
      stats.gate.push(...gate.latencies);
      // Half the round's requests get each answer, which goes first alternating by round.
      const from = Math.floor((round * timed.length) / ROUNDS);
      const to = Math.floor(((round + 1) * timed.length) / ROUNDS);
      const mid = from + Math.floor((to - from) / 2);
      const order = round % 2 === 0 ? ANSWER_KINDS : [...ANSWER_KINDS].reverse();
      const halves = [timed.slice(from, mid), timed.slice(mid, to)];
      for (const [i, kind] of order.entries()) {
        const voted = await burst(votes(halves[i]!, kind), expectApproved);
        assertClean(`decisions (${kind} answer)`, voted);
        stats.answers[kind].decision.push(...voted.latencies);
        wall[kind] += voted.wallMs;
        bytes[kind] += voted.bytes;
      }
      stats.decided += to - from;
    }
    for (const kind of ANSWER_KINDS) {
      const answers = stats.answers[kind];
      answers.answerBytes = bytes[kind] / answers.decision.length;
      answers.decisionsPerSecond = (answers.decision.length / wall[kind]) * 1000;
    }
    stats.readsPerSecond = (stats.read.length / readMs) * 1000;
    return stats;
  } finally {
    for (const { client } of lanes) client.close();
  }
}

function reportDecisions(
  report: Reporter,
  label: string,
  stats: DecisionStats,
  targets: boolean,
): void {
  const p = (values: number[], q: number) => percentile(values, q);
  const { full, minimal } = stats.answers;
  const method =
    `${CLIENTS} CAB members (none the submitter), each on its own keep-alive connection, POST /api/v1/cab/{id}/approve {} ` +
    `on distinct pending requests (quorum 1: each vote decides), ${ROUNDS} rounds alternating with the reads, each round's ` +
    `requests half answered whole and half with Prefer: return=minimal (which first alternating), ` +
    `${full.decision.length} + ${minimal.decision.length} decisions after ${warmupDecisions()} warm-up`;
  report.note(
    `${label}: approve p50 ${formatNumber(p(full.decision, 0.5))} / p99 ${formatNumber(p(full.decision, 0.99))} / ` +
      `max ${formatNumber(p(full.decision, 1))} ms (return=minimal: ${formatNumber(p(minimal.decision, 0.5))} / ` +
      `${formatNumber(p(minimal.decision, 0.99))} / ${formatNumber(p(minimal.decision, 1))} ms); GET /me p50 ` +
      `${formatNumber(p(stats.read, 0.5))} / p99 ${formatNumber(p(stats.read, 0.99))} ms; gate read p50 ` +
      `${formatNumber(p(stats.gate, 0.5))} / p99 ${formatNumber(p(stats.gate, 0.99))} ms; approve answers ` +
      `${formatNumber(full.answerBytes / 1024)} KB whole, ${formatNumber(minimal.answerBytes / 1024)} KB minimal`,
  );
  const variants: { answers: AnswerStats; name: string; what: string }[] = [
    {
      answers: full,
      name: '',
      what: 'the answer is the request as it stands (GET /cab/{id} body: the pack read back and its digest checked)',
    },
    {
      answers: minimal,
      name: ', Prefer: return=minimal',
      what: 'the answer is the request’s queue row (RFC 7240 return=minimal): the decision without the full read after it',
    },
  ];
  for (const { answers, name, what } of variants) {
    report.figure({
      name: `${label}: approve decisions/s${name}`,
      value: answers.decisionsPerSecond,
      unit: '/s',
      baseline: { name: 'GET /me reads/s', value: stats.readsPerSecond, unit: '/s' },
      ...(targets ? { target: DECISIONS_TARGET } : {}),
      detail: `${method}; decisions ÷ wall time of the decision bursts; ${what}; baseline: GET /api/v1/me by the same clients`,
    });
    report.figure({
      name: `${label}: approve p99${name}`,
      value: p(answers.decision, 0.99),
      unit: 'ms',
      baseline: { name: 'GET /me p99', value: p(stats.read, 0.99), unit: 'ms' },
      ...(targets ? { target: DECISION_P99_TARGET } : {}),
      detail:
        'client-side latency, request written to answer read' +
        (targets ? '; the issue asks p99 ≤ 50 ms, about 10× the read p99' : ''),
    });
    report.figure({
      name: `${label}: approve p50${name}`,
      value: p(answers.decision, 0.5),
      unit: 'ms',
      baseline: { name: 'GET /me p50', value: p(stats.read, 0.5), unit: 'ms' },
    });
  }
  report.figure({
    name: `${label}: GET /cab/{id}/gate p99 (read)`,
    value: p(stats.gate, 0.99),
    unit: 'ms',
    baseline: { name: 'GET /me p99', value: p(stats.read, 0.99), unit: 'ms' },
    detail: 'cross-check: the gate of a pending request by the same clients, in the same rounds',
  });
}

// ---------------------------------------------------------------------------------------
// 2. The queue: one client, pages of 50.

interface QueueCase {
  name: string;
  query: string;
  /** Whether the figure carries the issue's target (the cases it names) or is context. */
  target: boolean;
}

interface Walked {
  queueCase: QueueCase;
  deepCursor: string | null;
  depth: number;
  walk: number[];
  first: number[];
  deep: number[];
}

async function queue(
  report: Reporter,
  label: string,
  server: ServerProcess,
  world: CabWorld,
): Promise<void> {
  const token = world.members[0]!.token;
  const submitter = world.submitters[2]!.id;
  const cases: QueueCase[] = [
    { name: 'no filter (sort -submitted_at)', query: '', target: true },
    { name: 'sort=risk_score', query: 'sort=risk_score', target: true },
    { name: 'recommendation=HIGH', query: 'recommendation=HIGH', target: true },
    { name: 'plane=jamf', query: 'plane=jamf', target: true },
    { name: 'change_type=emergency', query: 'change_type=emergency', target: true },
    { name: 'submitted_by=<one of 5>', query: `submitted_by=${submitter}`, target: true },
    {
      name: 'recommendation=HIGH&sort=risk_score',
      query: 'recommendation=HIGH&sort=risk_score',
      target: false,
    },
  ];
  const client = new Client(server.url);
  try {
    const get = async (path: string) => {
      const answer = await client.send({ method: 'GET', path, token });
      if (answer.status !== 200) {
        throw new Error(`GET ${path}: ${answer.status} ${answer.body.slice(0, 300)}`);
      }
      return answer;
    };
    const page = (q: QueueCase, cursor: string | null) => {
      const params = new URLSearchParams(q.query);
      params.set('limit', '50');
      if (cursor) params.set('cursor', cursor);
      return `/api/v1/cab/pending?${params}`;
    };
    for (let i = 0; i < 20; i++) await get(ME); // warm-up
    const walked: Walked[] = [];
    for (const q of cases) {
      const seen = new Set<string>();
      const walk: number[] = [];
      let cursor: string | null = null;
      let deepCursor: string | null = null;
      let depth = 0;
      for (let n = 0; n <= QUEUE_DEPTH; n++) {
        const answer = await get(page(q, cursor));
        walk.push(answer.ms);
        const body = JSON.parse(answer.body) as {
          requests: { id: string; status: string }[];
          next_cursor: string | null;
        };
        for (const r of body.requests) {
          if (seen.has(r.id)) throw new Error(`${q.name}: request ${r.id} on two pages`);
          if (r.status !== 'pending') throw new Error(`${q.name}: a ${r.status} request queued`);
          seen.add(r.id);
        }
        if (n > 0) {
          deepCursor = cursor;
          depth = n;
        }
        if (!body.next_cursor) break;
        cursor = body.next_cursor;
      }
      walked.push({ queueCase: q, deepCursor, depth, walk, first: [], deep: [] });
    }
    const baseline: number[] = [];
    for (let s = 0; s < QUEUE_SAMPLES; s++) {
      for (const w of walked) {
        baseline.push((await get(ME)).ms);
        w.first.push((await get(page(w.queueCase, null))).ms);
        if (w.deepCursor) w.deep.push((await get(page(w.queueCase, w.deepCursor))).ms);
      }
    }
    const base = { name: 'GET /me p99', value: percentile(baseline, 0.99), unit: 'ms' };
    report.note(
      `${label} queue: baseline GET /me p50 ${formatNumber(median(baseline))} / p99 ${formatNumber(base.value)} ms ` +
        `over ${baseline.length} samples interleaved with the pages`,
    );
    for (const w of walked) {
      const q = w.queueCase;
      const target = q.target ? { target: QUEUE_P99_TARGET } : {};
      report.figure({
        name: `${label} queue: ${q.name}, first page p99`,
        value: percentile(w.first, 0.99),
        unit: 'ms',
        baseline: base,
        ...target,
        detail:
          `GET /api/v1/cab/pending?${q.query ? `${q.query}&` : ''}limit=50, one client, ${w.first.length} samples ` +
          `(p50 ${formatNumber(median(w.first))} ms); walk of ${w.walk.length} pages p50 ${formatNumber(median(w.walk))} / ` +
          `p99 ${formatNumber(percentile(w.walk, 0.99))} ms`,
      });
      if (!w.deepCursor) {
        report.skip(`${label} queue: ${q.name}, deep page`, 'the filter admits a single page');
        continue;
      }
      report.figure({
        name: `${label} queue: ${q.name}, page ${w.depth + 1} p99`,
        value: percentile(w.deep, 0.99),
        unit: 'ms',
        baseline: base,
        ...target,
        detail: `the cursor of page ${w.depth + 1} (rows ${w.depth * 50 + 1}–${w.depth * 50 + 50}), ${w.deep.length} samples (p50 ${formatNumber(median(w.deep))} ms)`,
      });
    }
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------
// 3. `cabinet gate` as a process, beside `node -e 0`.

interface ProcessRun {
  code: number | null;
  ms: number;
  output: string;
}

function runProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, ms: performance.now() - started, output }));
  });
}

/** Newest mtime of the files under `dir` whose names pass `keep`. */
function newest(dir: string, keep: (name: string) => boolean): number {
  let latest = 0;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!keep(name)) continue;
    latest = Math.max(latest, statSync(join(dir, name)).mtimeMs);
  }
  return latest;
}

async function gateProcess(
  report: Reporter,
  server: ServerProcess,
  world: CabWorld,
  approvedId: string,
  pendingId: string,
): Promise<void> {
  if (GATE_RUNS === 0) {
    report.skip('cabinet gate process', 'CABINET_BENCH_CAB_GATE_RUNS=0');
    return;
  }
  // A pipeline step's environment: no loader of the bench's own in it.
  const { NODE_OPTIONS: _loader, ...inherited } = process.env;
  const env = {
    ...inherited,
    CABINET_URL: server.url,
    CABINET_TOKEN: world.members[1]!.token,
    CABINET_LOG_LEVEL: 'silent',
  };
  const bin = join(repoRoot, 'bin/cabinet.js');
  const gate = (id: string) => runProcess([bin, 'gate', id, '--ring', 'ring0'], env);
  const probe = await gate(approvedId);
  if (probe.code !== 0) {
    report.skip(
      'cabinet gate process',
      `\`cabinet gate\` of an approved request exited ${probe.code}, not 0: ${probe.output.trim().split('\n')[0]}`,
    );
    return;
  }
  const refused = await gate(pendingId);
  if (refused.code !== 3) {
    throw new Error(
      `cabinet gate of a pending request exited ${refused.code}, not 3: ${refused.output}`,
    );
  }
  const stale =
    newest(join(repoRoot, 'src'), (n) => n.endsWith('.ts') && !n.endsWith('.test.ts')) >
    newest(join(repoRoot, 'dist'), (n) => n.endsWith('.js'));
  const floors: number[] = [];
  const fetches: number[] = [];
  const gates: number[] = [];
  for (let i = 0; i < GATE_RUNS; i++) {
    floors.push((await runProcess(['-e', '0'], env)).ms);
    const bare = await runProcess(['--input-type=module', '-e', BARE_GATE, approvedId], env);
    if (bare.code !== 0)
      throw new Error(`the bare gate client exited ${bare.code}: ${bare.output}`);
    fetches.push(bare.ms);
    const run = await gate(approvedId);
    if (run.code !== 0) throw new Error(`cabinet gate exited ${run.code}: ${run.output}`);
    gates.push(run.ms);
  }
  const runs = (values: number[]) => values.map((v) => formatNumber(v)).join(', ');
  report.figure({
    name: '`cabinet gate ID --ring ring0` process, allowed',
    value: median(gates),
    unit: 'ms',
    baseline: { name: 'node -e 0', value: median(floors), unit: 'ms' },
    target: GATE_TARGET,
    detail:
      `node bin/cabinet.js gate (built CLI) against the SQLite server, spawn to exit, exit 0; median of ${GATE_RUNS} ` +
      `fresh processes alternating with node -e 0 (runs: ${runs(gates)} ms; node -e 0: ${runs(floors)} ms); ` +
      'a pending request exits 3 (checked)' +
      (stale ? '; WARNING: dist/ is older than src/ (npm run build)' : ''),
  });
  report.figure({
    name: '  same process vs a bare fetch of the gate',
    value: median(gates),
    unit: 'ms',
    baseline: { name: 'node -e fetch(gate)', value: median(fetches), unit: 'ms' },
    detail:
      `cross-check: a node -e script that only fetches the same gate answer and exits by it, timed in the same ` +
      `rounds (runs: ${runs(fetches)} ms): the least any Node client of the endpoint pays (start-up, fetch)`,
  });
}

/** The least a Node pipeline step can do: fetch the gate, exit 0 or 3 by its answer. */
const BARE_GATE = `
const id = process.argv[1];
const res = await fetch(process.env.CABINET_URL + '/api/v1/cab/' + id + '/gate?ring=ring0', {
  headers: { authorization: 'Bearer ' + process.env.CABINET_TOKEN },
});
const body = await res.json();
process.exit(body.allowed === true ? 0 : 3);
`;
