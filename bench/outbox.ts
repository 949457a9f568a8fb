/**
 * Outbox dispatcher benches (`npm run bench -- outbox`), on PostgreSQL, against the real
 * server (src/server.ts startServer: every process runs a Dispatcher) in processes of its
 * own (bench/cab-processes.ts), delivering to receivers in the bench process
 * (bench/outbox-receivers.ts). Skipped without PostgreSQL (bench/bench-databases.ts
 * choosePostgres).
 *
 *  1. Webhooks, one endpoint for plane `intune` registered through POST /api/v1/webhooks on
 *     a running server; a receiver (node:http, keep-alive, 204) that checks each signature
 *     and counts arrivals per `webhook-id`. Payloads are shaped like a real
 *     deployment.authorized (request summary, signed decision attestation), each marked with
 *     its phase and a sequence number. Two configurations, each on a fresh database: 1 server
 *     process, then 2.
 *     a. Throughput: a backlog of _MESSAGES enqueued (transactions of _BATCH, through
 *        container.outbox.enqueue, as a change's transaction does) while no server runs;
 *        then the server processes start together, and messages/s is what arrived from the
 *        moment the last of them was ready to the last arrival. Compared to raw keep-alive
 *        POSTs of the same bytes (signed the same way) from the bench process to the same
 *        receiver, _IN_FLIGHT at once (the dispatcher's default concurrency). Target ≥ 500/s
 *        per process; the 2-process figure is also given against 2× the 1-process one.
 *     b. Commit-to-delivery delay at the target rate: with the servers running, _RATE
 *        messages/s per process for _SECONDS, each message enqueued in a transaction of its
 *        own as its time comes (one change, one message; the messages due while the bench
 *        waits for a free connection share the next transaction, so the rate holds on a
 *        loaded machine), commit time taken as the transaction resolved in the bench process,
 *        arrival time at the receiver in the same process: p50/p99 of arrival − commit.
 *        Target p99 ≤ 1 s. The bench's enqueues commit in another process than the
 *        dispatchers, so none is woken by them (an enqueue wakes only its own process's
 *        dispatcher): they find the messages by polling (250 ms when idle), which is the
 *        worst case. Baseline: raw POSTs paced at the same rate, send to arrival.
 *     Duplicates (a second arrival of a `webhook-id`) and missing messages over both phases
 *     must be 0; the outbox's own counts and attempts are checked after the servers stop.
 *  2. Email: _EMAILS mails (cab.request.submitted, one recipient each) enqueued with no
 *     server running, then one server process with CABINET_SMTP_URL pointing at an
 *     smtp-server on loopback (no auth, no TLS) counting mails by X-Cabinet-Outbox-Id:
 *     messages/s (INFO), against raw sends of the same rendered mail through a pooled
 *     nodemailer transport configured as the email channel's (3 connections, 100 mails
 *     each), _IN_FLIGHT sendMail calls at once.
 *
 * Knobs for a quick run (CABINET_BENCH_OUTBOX_*): _MESSAGES (webhook backlog per
 * configuration, 5000), _BATCH (messages per backlog transaction, 50), _RATE (paced
 * messages/s per process, 500), _SECONDS (paced duration, 5), _EMAILS (2000; 0 skips email),
 * _IN_FLIGHT (baseline concurrency, 64), _PACED_IN_FLIGHT (enqueue transactions in flight at
 * once, 10: the container's pool), _SYNC_COMMIT (1: the bench's own enqueue transactions
 * commit durably; by default they commit with synchronous_commit=off, visible at once without
 * waiting for the WAL flush, so the bench process keeps its pace on a slow disk; the server
 * processes always commit durably), _STALL (seconds without a new arrival before the bench
 * stops waiting and reports what is missing, 30), _TWO (0 skips the 2-process
 * configuration), _WEBHOOKS (0 skips webhooks).
 * On Linux the notes also say where the CPU went while a backlog drained, per message:
 * server processes, the bench process, PostgreSQL's backends of the bench database (by their
 * process titles) and everything else on the machine (from /proc).
 * CABINET_BENCH_CPU_PROF=<dir> makes each server process write a V8 CPU profile there, named
 * cab-outbox-<phase>.cpuprofile (summarise it with bench/cpu-profile-summary.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { renderMail } from '../src/notify/mail-templates.js';
import type { OutboxMessage } from '../src/outbox/outbox-store.js';
import { uuidv7 } from '../src/platform/ids.js';
import { benchEnv, choosePostgres, throwawayPostgres } from './bench-databases.js';
import { percentile } from './cab-load.js';
import {
  type ChildEntry,
  prepareServerChild,
  type ServerProcess,
  startServerProcess,
} from './cab-processes.js';
import { intKnob, numberKnob } from './knobs.js';
import {
  Collection,
  type RawMail,
  randomWebhookSecret,
  rawMailBurst,
  rawPostBurst,
  rawPostPaced,
  type SmtpReceiver,
  startSmtpReceiver,
  startWebhookReceiver,
  type WebhookReceiver,
  webhookRequest,
} from './outbox-receivers.js';
import {
  authorizedPayload,
  EMAIL_EVENT,
  emailEntry,
  enqueueBacklog,
  enqueuePaced,
  marked,
  type OutboxWorld,
  outboxWorld,
  registerEndpoint,
  submittedPayload,
  WEBHOOK_EVENT,
  webhookEntry,
} from './outbox-world.js';
import { formatNumber, type Reporter, type Target } from './reporter.js';

const MESSAGES = intKnob('CABINET_BENCH_OUTBOX_MESSAGES', 5_000, 1);
const BATCH = intKnob('CABINET_BENCH_OUTBOX_BATCH', 50, 1);
const RATE = intKnob('CABINET_BENCH_OUTBOX_RATE', 500, 1);
const SECONDS = numberKnob('CABINET_BENCH_OUTBOX_SECONDS', 5, 0.1);
const EMAILS = intKnob('CABINET_BENCH_OUTBOX_EMAILS', 2_000, 0);
const IN_FLIGHT = intKnob('CABINET_BENCH_OUTBOX_IN_FLIGHT', 64, 1);
const PACED_IN_FLIGHT = intKnob('CABINET_BENCH_OUTBOX_PACED_IN_FLIGHT', 10, 1);
const SYNC_COMMIT = intKnob('CABINET_BENCH_OUTBOX_SYNC_COMMIT', 0, 0) > 0;
const STALL_MS = numberKnob('CABINET_BENCH_OUTBOX_STALL', 30, 1) * 1000;
const TWO = intKnob('CABINET_BENCH_OUTBOX_TWO', 1, 0) > 0;
const WEBHOOKS = intKnob('CABINET_BENCH_OUTBOX_WEBHOOKS', 1, 0) > 0;

/** The issue's figures: per process, so the 2-process target is twice these. */
const PER_PROCESS_TARGET = 500;
const DELAY_P99_TARGET: Target = { on: 'value', op: '<=', limit: 1_000 };
const NONE: Target = { on: 'value', op: '<=', limit: 0 };
/** What the email channel configures (src/notify/email-channel.ts). */
const SMTP_CONNECTIONS = 3;
/** A wider pool, for context only. */
const WIDE_SMTP_CONNECTIONS = 16;
const MAIL_FROM = 'cabinet <cabinet@localhost>';
const PUBLIC_URL = 'http://127.0.0.1:8080';
/** After the last expected arrival: how long a late duplicate still counts. */
const GRACE_MS = 1_000;

export async function run(report: Reporter): Promise<void> {
  const choice = await choosePostgres();
  if ('skip' in choice) {
    report.skip('outbox dispatcher (PostgreSQL)', choice.skip);
    return;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'cabinet-bench-outbox-'));
  try {
    const child = await prepareServerChild(join(workDir, 'child'));
    report.note(`server processes: ${child.runtime}; receivers in the bench process`);
    report.note(`PostgreSQL: ${choice.source}`);
    if (WEBHOOKS) await webhooks(report, child, choice.url);
    else report.skip('webhook figures', 'CABINET_BENCH_OUTBOX_WEBHOOKS=0');
    if (EMAILS > 0) await email(report, child, choice.url);
    else report.skip('email figures', 'CABINET_BENCH_OUTBOX_EMAILS=0');
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Databases and servers, always disposed and stopped.

async function withWorld<T>(adminUrl: string, work: (world: OutboxWorld) => Promise<T>) {
  const database = await throwawayPostgres(adminUrl);
  try {
    const world = await outboxWorld(database, { asyncCommit: !SYNC_COMMIT });
    try {
      return await work(world);
    } finally {
      await world.close();
    }
  } finally {
    await database.dispose();
  }
}

interface Started {
  servers: ServerProcess[];
  /** performance.now() when each reported ready, in start order. */
  readyAt: number[];
}

/**
 * Server processes started and not yet stopped. Every path below stops them; should the
 * bench process exit anyway (process.exit, a crash), they are killed rather than left behind.
 */
const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** Starts `names.length` server processes at once; stops them all however `work` ends. */
async function withServers<T>(
  child: ChildEntry,
  env: Record<string, string>,
  names: readonly string[],
  work: (started: Started) => Promise<T>,
): Promise<T> {
  const started: Started = { servers: [], readyAt: [] };
  let result: T;
  try {
    const launched = names.map((name) =>
      startServerProcess(child, env, name).then((server) => {
        running.add(server.pid);
        const stop = server.stop;
        started.servers.push({
          ...server,
          stop: () => stop().finally(() => running.delete(server.pid)),
        });
        started.readyAt.push(performance.now());
        return server;
      }),
    );
    const settled = await Promise.allSettled(launched);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    result = await work(started);
  } catch (error) {
    await Promise.allSettled(started.servers.map((s) => s.stop()));
    throw error;
  }
  // A server that fails to stop cleanly fails the bench.
  await Promise.all(started.servers.map((s) => s.stop()));
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time (ms) of the machine, the given processes, the bench process and PostgreSQL. */
interface CpuSample {
  machineBusy: number;
  machineTotal: number;
  processes: number[];
  bench: number;
  /** Per PostgreSQL process: whose it is (the bench database's backend, or background work). */
  postgres: Map<number, { kind: 'backend' | 'background' | 'other'; ms: number }>;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(after[11]) + Number(after[12])) * TICK_MS;
}

/** PostgreSQL's processes by their titles: `postgres: 15/main: root <db> 127.0.0.1(…) idle`. */
function postgresCpu(database: string | null): CpuSample['postgres'] {
  const found: CpuSample['postgres'] = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!title.startsWith('postgres: ')) continue;
      const words = title.split(/\s+/);
      // Backends name a user and a database after the cluster; background processes do not.
      const backend = /\(\d+\)|\[local\]/.test(title);
      const kind = !backend
        ? 'background'
        : database && words.includes(database)
          ? 'backend'
          : 'other';
      found.set(Number(entry), { kind, ms: processCpu(Number(entry)) });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return found;
}

function cpuSample(pids: readonly number[], database: string | null = null): CpuSample | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
    const ticks = fields.slice(0, 8).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = ticks[3]! + ticks[4]!;
    const usage = process.cpuUsage();
    return {
      machineBusy: (total - idle) * TICK_MS,
      machineTotal: total * TICK_MS,
      processes: pids.map(processCpu),
      bench: (usage.user + usage.system) / 1000,
      postgres: postgresCpu(database),
    };
  } catch {
    return null; // not Linux, or a server process already gone
  }
}

/**
 * Where the CPU went between two samples, per message, in words: the sampled processes
 * (`processes` names them; none for a baseline), the bench process (`bench` says what it was
 * doing), and the rest of the machine.
 */
function cpuNote(
  before: CpuSample | null,
  after: CpuSample | null,
  messages: number,
  labels: { processes: string | null; bench: string; database?: boolean },
): string {
  if (!before || !after || messages === 0) return 'CPU: not measured (no /proc)';
  const cores = availableParallelism();
  const busy = after.machineBusy - before.machineBusy;
  const total = after.machineTotal - before.machineTotal;
  const sampled = after.processes.reduce((sum, v, i) => sum + v - before.processes[i]!, 0);
  const bench = after.bench - before.bench;
  const postgres = { backend: 0, background: 0, other: 0 };
  for (const [pid, now] of after.postgres) {
    const then = before.postgres.get(pid);
    postgres[now.kind] += now.ms - (then?.ms ?? 0);
  }
  const rest = Math.max(0, busy - sampled - bench - postgres.backend - postgres.background);
  const per = (ms: number) => `${formatNumber((ms / messages) * 1000)} µs`;
  const parts = [
    ...(labels.processes ? [`${labels.processes} ${per(sampled)}`] : []),
    `bench process (${labels.bench}) ${per(bench)}`,
    ...(labels.database
      ? [
          `PostgreSQL backends of the bench database ${per(postgres.backend)}`,
          `PostgreSQL background processes ${per(postgres.background)}`,
        ]
      : []),
    `everything else on the machine (other databases, other work) ${per(rest)}`,
  ];
  return (
    `CPU per message: ${parts.join(', ')}; machine ${formatNumber((100 * busy) / total)} % busy ` +
    `over ${formatNumber(total / cores / 1000)} s on ${cores} cores`
  );
}

// ---------------------------------------------------------------------------------------
// 1. Webhooks.

interface WebhookRun {
  processes: number;
  perSecond: number;
  /** Messages that arrived before the last process was ready (not in the figure). */
  early: number;
  windowMs: number;
  stagger: number;
  backlogEnqueueMs: number;
  rate: number;
  delays: number[];
  /** The bench process's event-loop delay while it enqueued and received, ms. */
  loopLag: { p99: number; max: number };
  transactions: number;
  largestTransaction: number;
  enqueueFailures: number;
  pacedWallMs: number;
  duplicates: number;
  missing: number;
  badSignatures: number;
  strays: number;
  outboxCounts: Record<string, number>;
  attempts: number;
  failedAttempts: number;
}

interface Baselines {
  burstPerSecond: number;
  paced: Map<number, number[]>;
}

async function webhooks(report: Reporter, child: ChildEntry, adminUrl: string): Promise<void> {
  const receiver = await startWebhookReceiver();
  try {
    const configurations = TWO ? [1, 2] : [1];
    let template: Record<string, unknown> | null = null;
    let baselines: Baselines | null = null;
    const runs: WebhookRun[] = [];
    for (const processes of configurations) {
      const result = await withWorld(adminUrl, async (world) => {
        if (!template || !baselines) {
          template = authorizedPayload(world.container);
          baselines = await webhookBaselines(report, receiver, template, configurations);
        }
        return webhookConfiguration(report, child, world, receiver, template, processes);
      });
      runs.push(result);
      reportWebhookRun(report, result, baselines!);
    }
    const [one, two] = runs;
    if (one && two) {
      report.figure({
        name: 'webhooks: 2 processes vs 2× 1 process',
        value: two.perSecond,
        unit: '/s',
        baseline: { name: '2× 1 process', value: 2 * one.perSecond, unit: '/s' },
        detail:
          'how linear the dispatcher is in processes (1.00× = linear); both server processes, PostgreSQL ' +
          'and the receiver share the machine’s cores, so this bounds the scaling from below',
      });
    }
    if (receiver.malformed > 0) {
      throw new Error(`the receiver got ${receiver.malformed} requests it could not attribute`);
    }
  } finally {
    await receiver.close();
  }
}

/** Raw POSTs of the dispatcher's bytes: a burst, and paced at each configuration's rate. */
async function webhookBaselines(
  report: Reporter,
  receiver: WebhookReceiver,
  template: Record<string, unknown>,
  configurations: readonly number[],
): Promise<Baselines> {
  const secret = randomWebhookSecret();
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const createdAt = new Date().toISOString();
  const maker = (run: string) => (seq: number) =>
    webhookRequest(
      key,
      `msg_${uuidv7(Date.now())}`,
      WEBHOOK_EVENT,
      createdAt,
      marked(template, run, seq),
    );
  const sample = maker('sample')(0);
  report.note(
    `webhook body ${formatNumber(Buffer.byteLength(sample.body) / 1024)} KB (a deployment.authorized ` +
      'shaped payload with a signed decision attestation)',
  );
  // Untimed warm-up: connections, JIT.
  const warm = new Collection('raw-warm', Math.min(2_000, MESSAGES), secret);
  receiver.open(warm);
  await rawPostBurst(receiver.url, warm.expected, IN_FLIGHT, maker(warm.run));

  const burst = new Collection('raw-burst', MESSAGES, secret);
  receiver.open(burst);
  const cpuBefore = cpuSample([]);
  const wallMs = await rawPostBurst(receiver.url, MESSAGES, IN_FLIGHT, maker(burst.run));
  const cpu = cpuNote(cpuBefore, cpuSample([]), MESSAGES, {
    processes: null,
    bench: 'client and receiver',
  });
  checkRaw(burst);
  const burstPerSecond = (MESSAGES / wallMs) * 1000;
  report.note(
    `baseline: ${MESSAGES} raw keep-alive POSTs, ${IN_FLIGHT} in flight: ${formatNumber(burstPerSecond)}/s; ${cpu}`,
  );

  const paced = new Map<number, number[]>();
  for (const processes of configurations) {
    const rate = RATE * processes;
    const count = Math.max(1, Math.round(rate * SECONDS));
    const collection = new Collection(`raw-paced-${processes}`, count, secret);
    receiver.open(collection);
    const sent = await rawPostPaced(receiver.url, count, rate, maker(collection.run));
    await collection.complete(STALL_MS);
    checkRaw(collection);
    const delays = Array.from(collection.arrivedAt, (at, seq) => at - sent.sentAt[seq]!);
    paced.set(processes, delays);
    report.note(
      `baseline: raw POSTs paced at ${rate}/s for ${formatNumber(sent.wallMs / 1000)} s: send to arrival ` +
        `p50 ${formatNumber(percentile(delays, 0.5))} / p99 ${formatNumber(percentile(delays, 0.99))} ms`,
    );
  }
  return { burstPerSecond, paced };
}

function checkRaw(collection: Collection): void {
  if (collection.missing > 0 || collection.duplicates > 0 || collection.badSignatures > 0) {
    throw new Error(
      `raw baseline ${collection.run}: ${collection.missing} missing, ${collection.duplicates} duplicates, ` +
        `${collection.badSignatures} bad signatures (the receiver or its signature check is wrong)`,
    );
  }
}

async function webhookConfiguration(
  report: Reporter,
  child: ChildEntry,
  world: OutboxWorld,
  receiver: WebhookReceiver,
  template: Record<string, unknown>,
  processes: number,
): Promise<WebhookRun> {
  const env = benchEnv(world.database);
  const label = `${processes} process${processes === 1 ? '' : 'es'}`;
  // The endpoint, through the API of a running server (then stopped: the backlog waits).
  const endpoint = await withServers(child, env, [`outbox-webhook-${processes}p-register`], (s) =>
    registerEndpoint(s.servers[0]!.url, world.adminToken, receiver.url),
  );

  const backlog = new Collection(`backlog-${processes}p`, MESSAGES, endpoint.secret);
  receiver.open(backlog);
  const enqueued = await enqueueBacklog(world.container, MESSAGES, BATCH, (seq) =>
    webhookEntry(marked(template, backlog.run, seq)),
  );
  if (enqueued.written !== MESSAGES) {
    throw new Error(
      `the outbox wrote ${enqueued.written} of ${MESSAGES} messages: is the endpoint subscribed?`,
    );
  }
  report.note(
    `webhooks, ${label}: ${MESSAGES} messages enqueued (${BATCH} per transaction) in ` +
      `${formatNumber(enqueued.ms / 1000)} s with no server running`,
  );

  const rate = RATE * processes;
  const count = Math.max(1, Math.round(rate * SECONDS));
  const paced = new Collection(`paced-${processes}p`, count, endpoint.secret);
  const names = Array.from({ length: processes }, (_, i) => `outbox-webhook-${processes}p-${i}`);
  const measured = await withServers(child, env, names, async ({ servers, readyAt }) => {
    const from = Math.max(...readyAt);
    const stagger = from - Math.min(...readyAt);
    const pids = servers.map((server) => server.pid);
    const dbName = new URL(world.database.url).pathname.slice(1);
    const cpuBefore = cpuSample(pids, dbName);
    const deliveredBefore = backlog.unique;
    const drained = await backlog.complete(STALL_MS);
    const cpu = cpuNote(cpuBefore, cpuSample(pids, dbName), backlog.unique - deliveredBefore, {
      processes: processes === 1 ? 'server process' : 'server processes',
      bench: 'receiver',
      database: true,
    });
    const windowMs = backlog.lastAt - from;
    const inWindow = backlog.arrivedSince(from);
    const perSecond = windowMs > 0 ? (inWindow / windowMs) * 1000 : Number.NaN;
    report.note(
      `webhooks, ${label}: backlog ${drained ? 'drained' : `stalled with ${backlog.missing} missing`}; ` +
        `${inWindow} arrived in ${formatNumber(windowMs / 1000)} s after the last process was ready, ` +
        `${backlog.unique - inWindow} before (processes ready ${formatNumber(stagger)} ms apart); ${cpu}`,
    );

    receiver.open(paced);
    // The bench's event loop timestamps both commits and arrivals: how late it ran says how
    // far off those timestamps can be.
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const stream = await enqueuePaced(world.container, count, rate, PACED_IN_FLIGHT, (seq) =>
      webhookEntry(marked(template, paced.run, seq)),
    );
    await paced.complete(STALL_MS);
    lag.disable();
    const loopLag = { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 };
    await sleep(GRACE_MS);
    const delays: number[] = [];
    paced.arrivedAt.forEach((at, seq) => {
      const committed = stream.committedAt[seq]!;
      if (!Number.isNaN(at) && !Number.isNaN(committed)) delays.push(at - committed);
    });
    return {
      perSecond,
      early: backlog.unique - inWindow,
      windowMs,
      stagger,
      stream,
      delays,
      loopLag,
    };
  });

  // The outbox's own account, once every server stopped.
  const counts = await world.container.outbox.counts();
  const attempts = await world.container.database.db
    .selectFrom('outbox_attempts')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('outcome')
    .execute();
  const attemptCount = attempts.reduce((sum, row) => sum + Number(row.n), 0);
  const failedAttempts = attempts
    .filter((row) => row.outcome !== 'delivered')
    .reduce((sum, row) => sum + Number(row.n), 0);
  return {
    processes,
    perSecond: measured.perSecond,
    early: measured.early,
    windowMs: measured.windowMs,
    stagger: measured.stagger,
    backlogEnqueueMs: enqueued.ms,
    rate,
    delays: measured.delays,
    loopLag: measured.loopLag,
    transactions: measured.stream.transactions,
    largestTransaction: measured.stream.largestTransaction,
    enqueueFailures: measured.stream.failures,
    pacedWallMs: measured.stream.wallMs,
    duplicates: backlog.duplicates + paced.duplicates,
    missing: backlog.missing + paced.missing,
    badSignatures: backlog.badSignatures + paced.badSignatures,
    strays: backlog.strays + paced.strays,
    outboxCounts: counts,
    attempts: attemptCount,
    failedAttempts,
  };
}

function reportWebhookRun(report: Reporter, r: WebhookRun, baselines: Baselines): void {
  const label = `webhooks, ${r.processes} process${r.processes === 1 ? '' : 'es'}`;
  const rawPaced = baselines.paced.get(r.processes) ?? [];
  const achieved = (r.delays.length / r.pacedWallMs) * 1000;
  report.note(
    `${label}: outbox after stop ${JSON.stringify(r.outboxCounts)}; ${r.attempts} attempts recorded ` +
      `(${r.failedAttempts} not delivered); ${r.badSignatures} bad signatures, ${r.strays} strays; ` +
      `paced enqueue ${formatNumber(achieved)}/s achieved in ${r.transactions} transactions ` +
      `(${formatNumber(r.delays.length / r.transactions)} messages each on average, at most ${r.largestTransaction}), ` +
      `${r.enqueueFailures} failed; the bench's event loop ran up to ${formatNumber(r.loopLag.p99)} ms late ` +
      `(p99; max ${formatNumber(r.loopLag.max)} ms), which bounds the error of its commit and arrival timestamps`,
  );
  if (r.enqueueFailures > 0 || r.badSignatures > 0 || r.strays > 0) {
    throw new Error(
      `${label}: ${r.enqueueFailures} enqueues failed, ${r.badSignatures} bad signatures, ${r.strays} strays`,
    );
  }
  report.figure({
    name: `${label}: delivered/s from a backlog`,
    value: r.perSecond,
    unit: '/s',
    baseline: {
      name: `raw POSTs ×${IN_FLIGHT}`,
      value: baselines.burstPerSecond,
      unit: '/s',
    },
    target: { on: 'value', op: '>=', limit: PER_PROCESS_TARGET * r.processes },
    detail:
      `${MESSAGES} messages enqueued with no server running; arrivals from the last process ready to the last arrival ` +
      `(${formatNumber(r.windowMs / 1000)} s, ${r.early} earlier ones left out); baseline: the same bytes POSTed ` +
      `by the bench process, ${IN_FLIGHT} in flight; target ${PER_PROCESS_TARGET}/s per process`,
  });
  if (achieved < 0.9 * r.rate) {
    report.note(
      `${label}: the bench process enqueued at ${formatNumber(achieved)}/s, short of ${r.rate}/s ` +
        '(its transactions were slower than the schedule): the delay below is at the lower rate',
    );
  }
  report.figure({
    name: `${label}: commit-to-delivery p99 at ${r.rate}/s`,
    value: percentile(r.delays, 0.99),
    unit: 'ms',
    baseline: { name: 'raw POST p99', value: percentile(rawPaced, 0.99), unit: 'ms' },
    target: DELAY_P99_TARGET,
    detail:
      `${r.delays.length} messages enqueued by the bench process at ${r.rate}/s for ${SECONDS} s (${formatNumber(achieved)}/s achieved), ` +
      'each in a transaction as its time came (the ones due together share one) ' +
      '(the dispatchers poll for them: no enqueue of theirs wakes them); arrival at the receiver − the transaction resolved; ' +
      'baseline: raw POSTs paced alike, send to arrival',
  });
  report.figure({
    name: `${label}: commit-to-delivery p50 at ${r.rate}/s`,
    value: percentile(r.delays, 0.5),
    unit: 'ms',
    baseline: { name: 'raw POST p50', value: percentile(rawPaced, 0.5), unit: 'ms' },
    detail: `max ${formatNumber(percentile(r.delays, 1))} ms`,
  });
  report.figure({
    name: `${label}: duplicates`,
    value: r.duplicates,
    unit: '',
    target: NONE,
    detail: 'second arrivals of a webhook-id, backlog and paced phases together',
  });
  report.figure({
    name: `${label}: missing`,
    value: r.missing,
    unit: '',
    target: NONE,
    detail: `of ${MESSAGES} + ${Math.round(r.rate * SECONDS)} enqueued, never arrived (waited until ${STALL_MS / 1000} s without an arrival)`,
  });
}

// ---------------------------------------------------------------------------------------
// 2. Email.

async function email(report: Reporter, child: ChildEntry, adminUrl: string): Promise<void> {
  const smtp = await startSmtpReceiver();
  try {
    await withWorld(adminUrl, (world) => emailRun(report, child, world, smtp));
  } finally {
    await smtp.close();
  }
}

/** The mail the email channel sends for `message` (same renderer, headers and options). */
function channelMail(message: OutboxMessage): RawMail {
  const mail = renderMail(message, PUBLIC_URL);
  return {
    from: MAIL_FROM,
    to: message.recipients.map((r) => r.email),
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${message.id}@cabinet.127.0.0.1>`,
    headers: {
      'X-Cabinet-Outbox-Id': message.id,
      'X-Cabinet-Event': message.event_type,
      'Auto-Submitted': 'auto-generated',
    },
  };
}

async function emailRun(
  report: Reporter,
  child: ChildEntry,
  world: OutboxWorld,
  smtp: SmtpReceiver,
): Promise<void> {
  const payload = submittedPayload();
  const now = new Date().toISOString();
  const message = (seq: number): OutboxMessage => {
    const entry = emailEntry(marked(payload, 'raw-mail', seq), seq);
    if (entry.channel !== 'email') throw new Error('unreachable');
    return {
      id: uuidv7(Date.now()),
      channel: 'email',
      event_type: EMAIL_EVENT,
      plane: null,
      endpoint_id: null,
      recipients: entry.recipients,
      subject_id: entry.subject_id ?? null,
      payload: entry.payload,
      status: 'pending',
      attempts: 1,
      next_attempt_at: now,
      last_error: null,
      correlation_id: null,
      dedupe_key: null,
      created_at: now,
      delivered_at: null,
    };
  };
  const sample = channelMail(message(0));
  report.note(
    `email: ${EMAIL_EVENT} mails of ${formatNumber((sample.text.length + sample.html.length) / 1024)} KB ` +
      '(text + HTML), one recipient each',
  );

  // Baseline first, while no server runs: raw pooled nodemailer to the same receiver.
  const warm = new Collection('raw-mail-warm', Math.min(200, EMAILS));
  smtp.open(warm);
  await rawMailBurst(smtp.port, warm.expected, IN_FLIGHT, SMTP_CONNECTIONS, (seq) =>
    channelMail(message(seq)),
  );
  const raw = new Collection('raw-mail', EMAILS);
  smtp.open(raw);
  const rawMs = await rawMailBurst(smtp.port, EMAILS, IN_FLIGHT, SMTP_CONNECTIONS, (seq) =>
    channelMail(message(seq)),
  );
  if (raw.missing > 0 || raw.duplicates > 0) {
    throw new Error(`raw mail baseline: ${raw.missing} missing, ${raw.duplicates} duplicates`);
  }
  const rawPerSecond = (EMAILS / rawMs) * 1000;
  // Context: how much of that is the pool's size (the channel's default), not SMTP itself.
  const wide = new Collection('raw-mail-wide', EMAILS);
  smtp.open(wide);
  const wideMs = await rawMailBurst(smtp.port, EMAILS, IN_FLIGHT, WIDE_SMTP_CONNECTIONS, (seq) =>
    channelMail(message(seq)),
  );
  report.note(
    `baseline: ${EMAILS} raw nodemailer sends (pooled, ${SMTP_CONNECTIONS} connections, ${IN_FLIGHT} in flight): ` +
      `${formatNumber(rawPerSecond)}/s; with ${WIDE_SMTP_CONNECTIONS} connections: ${formatNumber((EMAILS / wideMs) * 1000)}/s`,
  );

  const backlog = new Collection('email-backlog', EMAILS);
  smtp.open(backlog);
  const enqueued = await enqueueBacklog(world.container, EMAILS, BATCH, (seq) =>
    emailEntry(marked(payload, backlog.run, seq), seq),
  );
  if (enqueued.written !== EMAILS) {
    throw new Error(`the outbox wrote ${enqueued.written} of ${EMAILS} mails`);
  }
  report.note(
    `email: ${EMAILS} mails enqueued (${BATCH} per transaction) in ${formatNumber(enqueued.ms / 1000)} s`,
  );
  const env = { ...benchEnv(world.database), CABINET_SMTP_URL: smtp.url };
  const measured = await withServers(
    child,
    env,
    ['outbox-email-1p-0'],
    async ({ servers, readyAt }) => {
      const from = readyAt[0]!;
      const pids = servers.map((server) => server.pid);
      const dbName = new URL(world.database.url).pathname.slice(1);
      const cpuBefore = cpuSample(pids, dbName);
      const deliveredBefore = backlog.unique;
      const drained = await backlog.complete(STALL_MS);
      const cpu = cpuNote(cpuBefore, cpuSample(pids, dbName), backlog.unique - deliveredBefore, {
        processes: 'server process',
        bench: 'SMTP receiver',
        database: true,
      });
      if (backlog.unique > 0 && drained) await sleep(GRACE_MS);
      return { from, drained, cpu };
    },
  );
  const counts = await world.container.outbox.counts();
  if (backlog.unique === 0) {
    report.skip(
      'email, 1 process: delivered/s from a backlog',
      `no mail arrived within ${STALL_MS / 1000} s of the server starting with CABINET_SMTP_URL set ` +
        `(outbox after stop: ${JSON.stringify(counts)}): the server delivers no email yet`,
    );
    return;
  }
  const windowMs = backlog.lastAt - measured.from;
  const inWindow = backlog.arrivedSince(measured.from);
  report.note(
    `email, 1 process: backlog ${measured.drained ? 'drained' : `stalled with ${backlog.missing} missing`}; ` +
      `outbox after stop ${JSON.stringify(counts)}; ${smtp.strays} mails without an outbox id; ${measured.cpu}`,
  );
  report.figure({
    name: 'email, 1 process: delivered/s from a backlog',
    value: windowMs > 0 ? (inWindow / windowMs) * 1000 : Number.NaN,
    unit: '/s',
    baseline: { name: 'raw nodemailer sends', value: rawPerSecond, unit: '/s' },
    detail:
      `${EMAILS} mails enqueued with no server running; arrivals from the process ready to the last one ` +
      `(${formatNumber(windowMs / 1000)} s, ${backlog.unique - inWindow} earlier ones left out); baseline: the same ` +
      `mails through a pooled nodemailer transport like the channel's, ${IN_FLIGHT} in flight`,
  });
  report.figure({
    name: 'email, 1 process: duplicates',
    value: backlog.duplicates,
    unit: '',
    target: NONE,
    detail: 'second arrivals of an X-Cabinet-Outbox-Id',
  });
  report.figure({
    name: 'email, 1 process: missing',
    value: backlog.missing,
    unit: '',
    target: NONE,
    detail: `of ${EMAILS} enqueued, never arrived`,
  });
}
