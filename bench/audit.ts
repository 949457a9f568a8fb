/**
 * Audit log benches (`npm run bench -- audit`):
 *  1. append throughput on SQLite, one event per transaction as the app writes them;
 *  2. the same on PostgreSQL, sequential and with concurrent writers (skipped without one);
 *  3. AuditLog.verify() of a 1,000,000-event chain against the pure hashing floor, its peak
 *     RSS and how long it holds the event loop, each measured in a fresh process that does
 *     nothing else; plus read-only and hash-only runs that split verify's time.
 *
 * Sizes can be lowered for a quick look (CABINET_BENCH_AUDIT_APPENDS,
 * CABINET_BENCH_AUDIT_CHAIN_EVENTS); CABINET_BENCH_CPU_PROF=<dir> makes the verify child
 * write a V8 CPU profile there (summarise it with bench/cpu-profile-summary.ts).
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import type { AuditEntry } from '../src/audit/audit-log.js';
import {
  canonicalData,
  GENESIS_HASH,
  hashEvent,
  type StoredAuditEvent,
} from '../src/audit/chain.js';
import type { Container } from '../src/composition-root.js';
import { FixedClock } from '../src/platform/clock.js';
import type { Context } from '../src/platform/context.js';
import { ChainGenerator, generateEntry } from './audit-events.js';
import type { ChildMode, ChildReport } from './audit-verify-child.js';
import {
  type BenchDatabase,
  benchContainer,
  benchEnv,
  choosePostgres,
  tempSqlite,
  throwawayPostgres,
} from './bench-databases.js';
import { bundleChild, type ChildEntry } from './child-bundle.js';
import { seededRandom } from './generators/seeded-random.js';
import { formatNumber, type Reporter } from './reporter.js';

const APPENDS = positiveInt('CABINET_BENCH_AUDIT_APPENDS', 5_000);
const CHAIN_EVENTS = positiveInt('CABINET_BENCH_AUDIT_CHAIN_EVENTS', 1_000_000);
/** Appends before timing starts: JIT, statement caches and the first pages are warm. */
const WARMUP_APPENDS = 500;
const CONCURRENT_WRITERS = 10;
/** Rounds the timed appends are split into, alternating with what they are compared to. */
const APPEND_ROUNDS = 5;
/** Runs of the floor and of verify, alternating; each keeps its fastest. */
const TIMED_RUNS = 3;
/** Events per bulk-insert transaction while building the chain; a checkpoint follows each. */
const BUILD_CHUNK = 100_000;
const MB = 1024 * 1024;

export async function run(report: Reporter): Promise<void> {
  await appendOnSqlite(report);
  await appendOnPostgres(report);
  await verifyLargeChain(report);
}

interface AppendWork {
  ctx: Context;
  entry: AuditEntry;
}

/** Requests as the app would make them, drawn up front so the timed loop only appends. */
function workload(count: number, seed: number): AppendWork[] {
  const random = seededRandom(seed);
  const actors = Array.from({ length: 20 }, () => randomUUID());
  return Array.from({ length: count }, () => ({
    ctx: {
      actorId: actors[Math.floor(random() * actors.length)]!,
      roles: ['cab-member'],
      correlationId: randomUUID(),
    },
    entry: generateEntry(random),
  }));
}

/** One transaction per event, as a request handler commits its change and its event. */
async function appendSequentially(container: Container, work: readonly AppendWork[]) {
  for (const { ctx, entry } of work) {
    await container.database.transaction((trx) => container.audit.append(trx, ctx, entry));
  }
}

async function appendConcurrently(
  container: Container,
  work: readonly AppendWork[],
  writers: number,
) {
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < work.length; i = next++) {
      const { ctx, entry } = work[i]!;
      await container.database.transaction((trx) => container.audit.append(trx, ctx, entry));
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
}

async function timeMs(work: () => Promise<void> | void): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const perSecond = (count: number, ms: number) => (count * 1000) / ms;

/**
 * Two ways of doing the same work, timed in alternating rounds and summed, so load from
 * elsewhere on a shared machine lands on both rather than on whichever ran second.
 */
async function interleaved(
  total: number,
  seed: number,
  first: (work: AppendWork[]) => Promise<void> | void,
  second: (work: AppendWork[]) => Promise<void> | void,
): Promise<[number, number]> {
  const rounds = Math.min(APPEND_ROUNDS, total);
  let firstMs = 0;
  let secondMs = 0;
  for (let round = 0; round < rounds; round++) {
    const size = Math.floor((total * (round + 1)) / rounds) - Math.floor((total * round) / rounds);
    const a = workload(size, seed + 2 * round);
    const b = workload(size, seed + 2 * round + 1);
    firstMs += await timeMs(() => first(a));
    secondMs += await timeMs(() => second(b));
  }
  return [firstMs, secondMs];
}

/** A bench that measured a broken chain would be measuring the wrong thing: stop loudly. */
async function assertChainIntact(container: Container, expected: number): Promise<void> {
  const result = await container.audit.verify();
  if (!result.ok || result.events_checked !== expected) {
    throw new Error(
      `the chain is not intact after the bench: ${JSON.stringify({ ...result, expected })}`,
    );
  }
}

async function appendOnSqlite(report: Reporter): Promise<void> {
  const database = tempSqlite();
  try {
    const container = await benchContainer(database);
    const raw = rawSqliteAppender(sqliteFile(database));
    try {
      await appendSequentially(container, workload(WARMUP_APPENDS, 1));
      raw.append(workload(WARMUP_APPENDS, 2));
      const [appMs, rawMs] = await interleaved(
        APPENDS,
        10,
        (work) => appendSequentially(container, work),
        (work) => raw.append(work),
      );
      await assertChainIntact(container, 2 * (WARMUP_APPENDS + APPENDS));
      report.figure({
        name: 'append, SQLite, 1 event/txn',
        value: perSecond(APPENDS, appMs),
        unit: 'events/s',
        baseline: {
          name: 'raw better-sqlite3 append',
          value: perSecond(APPENDS, rawMs),
          unit: 'events/s',
        },
        target: { on: 'value', op: '>=', limit: 2_000 },
        detail:
          `${formatNumber(APPENDS)} × database.transaction(AuditLog.append) after ${WARMUP_APPENDS} warm-up; ` +
          'baseline: the same transaction (BEGIN IMMEDIATE, read head, hash, insert, COMMIT) with prepared statements, ' +
          `no Kysely; ${APPEND_ROUNDS} alternating rounds each`,
      });
    } finally {
      raw.close();
      await container.close();
    }
  } finally {
    await database.dispose();
  }
}

function sqliteFile(database: BenchDatabase): string {
  return database.url.slice('sqlite:'.length);
}

/**
 * The floor under AuditLog.append on SQLite: the same work and the same per-event commit,
 * on the app's pragmas, minus Kysely and the promise hops. It continues the same chain, on a
 * connection of its own, so both run against the same file in the same state.
 */
function rawSqliteAppender(file: string) {
  const connection = new SqliteDatabase(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('busy_timeout = 10000');
  const head = connection.prepare<[], { seq: number; hash: string }>(
    'select seq, hash from audit_events order by seq desc limit 1',
  );
  const insert = connection.prepare<StoredAuditEvent>(
    'insert into audit_events (seq, id, event_type, correlation_id, actor, subject, data, created_at, prev_hash, hash) ' +
      'values (@seq, @id, @event_type, @correlation_id, @actor, @subject, @data, @created_at, @prev_hash, @hash)',
  );
  const appendOne = connection.transaction(({ ctx, entry }: AppendWork) => {
    const last = head.get();
    const unhashed = {
      seq: (last?.seq ?? 0) + 1,
      id: randomUUID(),
      event_type: entry.type,
      correlation_id: ctx.correlationId,
      actor: ctx.actorId,
      subject: entry.subject ?? null,
      data: canonicalData(entry.data ?? {}),
      created_at: new Date().toISOString(),
      prev_hash: last?.hash ?? GENESIS_HASH,
    };
    insert.run({ ...unhashed, hash: hashEvent(unhashed) });
  });
  return {
    append(work: readonly AppendWork[]): void {
      for (const item of work) appendOne.immediate(item);
    },
    close: () => connection.close(),
  };
}

async function appendOnPostgres(report: Reporter): Promise<void> {
  const sequentialName = 'append, PostgreSQL, sequential';
  const concurrentName = `append, PostgreSQL, ${CONCURRENT_WRITERS} writers`;
  const choice = await choosePostgres();
  if ('skip' in choice) {
    report.skip(sequentialName, choice.skip);
    report.skip(concurrentName, choice.skip);
    return;
  }
  report.note(`PostgreSQL from ${choice.source}, throwaway database`);
  const database = await throwawayPostgres(choice.url);
  try {
    const container = await benchContainer(database);
    try {
      await appendSequentially(container, workload(WARMUP_APPENDS, 4));
      const [sequentialMs, concurrentMs] = await interleaved(
        APPENDS,
        20,
        (work) => appendSequentially(container, work),
        (work) => appendConcurrently(container, work, CONCURRENT_WRITERS),
      );
      // Concurrent writers queue on the advisory lock; a fork or gap would show up here.
      await assertChainIntact(container, WARMUP_APPENDS + 2 * APPENDS);
      const sequential = report.figure({
        name: sequentialName,
        value: perSecond(APPENDS, sequentialMs),
        unit: 'events/s',
        detail: `${formatNumber(APPENDS)} × database.transaction(AuditLog.append), one writer`,
      });
      report.figure({
        name: concurrentName,
        value: perSecond(APPENDS, concurrentMs),
        unit: 'events/s',
        baseline: { name: 'sequential', value: sequential.value ?? 0, unit: 'events/s' },
        detail:
          `${formatNumber(APPENDS)} appends shared by ${CONCURRENT_WRITERS} async writers on the pool of 10, ` +
          `in ${APPEND_ROUNDS} rounds alternating with the sequential ones; chain verified intact afterwards`,
      });
    } finally {
      await container.close();
    }
  } finally {
    await database.dispose();
  }
}

async function verifyLargeChain(report: Reporter): Promise<void> {
  const database = tempSqlite();
  try {
    const clock = new FixedClock('2025-01-01T00:00:00.000Z');
    const container = await benchContainer(database, { clock });
    let built: BuiltChain;
    try {
      built = await buildChain(container, sqliteFile(database), clock);
    } finally {
      await container.close();
    }
    report.note(
      `built ${formatNumber(built.events)} events in ${(built.ms / 1000).toFixed(1)} s ` +
        `(data ${formatNumber(built.dataBytesMean)} bytes mean, ${built.dataBytesMin}–${built.dataBytesMax}; ` +
        `${built.types} event types; ${built.checkpoints} signed checkpoints)`,
    );

    // Every measured operation runs in a fresh process of its own (see
    // bench/audit-verify-child.ts). Floor and verify alternate and each keeps its fastest
    // run, so a burst of load from elsewhere on the machine neither flatters nor penalises
    // the ratio; peak RSS and the event-loop stall keep the worst verify run.
    const child = await bundleChild(join(database.dataDir, 'child'), 'audit-verify-child', {
      'audit-verify-child': childScript,
    });
    report.note(`measured operations run in a fresh process: ${child.runtime}`);
    const floors: ChildReport[] = [];
    const verifies: ChildReport[] = [];
    for (let round = 0; round < TIMED_RUNS; round++) {
      floors.push(await runChild(child, 'floor', database));
      verifies.push(await runChild(child, 'verify', database));
    }
    const scan = await runChild(child, 'scan', database);
    const inMemory = await runChild(child, 'verifier', database);
    for (const run of [...floors, ...verifies, scan, inMemory]) {
      if (run.events !== built.events) {
        throw new Error(`the ${run.mode} run saw ${run.events} of ${built.events} events`);
      }
    }
    for (const run of [...verifies, inMemory]) {
      if (!run.result?.ok || run.result.checkpoints_checked !== built.checkpoints) {
        throw new Error(`${run.mode} did not pass the intact chain: ${JSON.stringify(run.result)}`);
      }
    }

    const floorMs = Math.min(...floors.map((f) => f.ms));
    const verifyMs = Math.min(...verifies.map((v) => v.ms));
    const floorCpuMs = Math.min(...floors.map((f) => f.cpuMs));
    const verifyCpuMs = Math.min(...verifies.map((v) => v.cpuMs));
    const seconds = (runs: readonly ChildReport[]) =>
      runs.map((run) => `${(run.ms / 1000).toFixed(2)} s`).join(', ');
    report.note(
      `hashing floor runs ${seconds(floors)}; verify runs ${seconds(verifies)} ` +
        `(best: floor ${formatNumber(perSecond(built.events, floorMs))} events/s, ` +
        `verify ${formatNumber(perSecond(built.events, verifyMs))} events/s)`,
    );
    const floor = { name: 'hashing floor', value: floorMs / 1000, unit: 's' };
    report.figure({
      name: `verify ${formatNumber(built.events)} events, SQLite`,
      value: verifyMs / 1000,
      unit: 's',
      baseline: floor,
      target: { on: 'ratio', op: '<=', limit: 3 },
      detail:
        `AuditLog.verify() end to end with ${built.checkpoints} signed checkpoints; floor: canonicalEventText + SHA-256 + ` +
        `link checks over the same events pre-loaded into memory a page at a time (loading untimed); best of ${TIMED_RUNS} each`,
    });
    report.figure({
      name: '  same, CPU time',
      value: verifyCpuMs / 1000,
      unit: 's',
      baseline: { name: 'hashing floor', value: floorCpuMs / 1000, unit: 's' },
      detail:
        'user + system CPU of the same runs (GC threads included): a cross-check that load from other processes moves less',
    });
    report.figure({
      name: '  of which: read (scanEvents only)',
      value: scan.ms / 1000,
      unit: 's',
      baseline: floor,
      detail: `scanEvents() paging through every event, no hashing (process peak ${formatNumber(scan.peakRssBytes / MB)} MB)`,
    });
    report.figure({
      name: '  of which: ChainVerifier.push',
      value: inMemory.ms / 1000,
      unit: 's',
      baseline: floor,
      detail:
        'ChainVerifier.push over the same pre-loaded events: hashing plus its checks, no database',
    });
    const worst = verifies.reduce((a, b) => (b.peakRssBytes > a.peakRssBytes ? b : a));
    report.figure({
      name: 'verify peak RSS (child process)',
      value: worst.peakRssBytes / MB,
      unit: 'MB',
      baseline: { name: 'RSS before verify', value: worst.rssBeforeBytes / MB, unit: 'MB' },
      target: { on: 'value', op: '<', limit: 200 },
      detail:
        `${worst.peakRssSource} of the verify process, worst of ${verifies.length}; ` +
        `highest RSS sampled between batches ${formatNumber(worst.rssSampledPeakBytes / MB)} MB`,
    });
    const stalled = verifies.reduce((a, b) =>
      b.maxEventLoopStallMs > a.maxEventLoopStallMs ? b : a,
    );
    report.figure({
      name: 'verify: longest event-loop stall',
      value: stalled.maxEventLoopStallMs / 1000,
      unit: 's',
      baseline: { name: 'verify duration', value: stalled.ms / 1000, unit: 's' },
      detail:
        'longest gap between 5 ms timer ticks while verify ran: how long a server running ' +
        'GET /api/v1/audit/verify answers nothing else',
    });
  } finally {
    await database.dispose();
  }
}

interface BuiltChain {
  events: number;
  ms: number;
  checkpoints: number;
  types: number;
  dataBytesMean: number;
  dataBytesMin: number;
  dataBytesMax: number;
}

/**
 * Writes CHAIN_EVENTS events straight into the table with prepared statements, hashed as
 * append hashes them, then has AuditLog.checkpoint() sign the head after every chunk (the
 * server signs periodically, so a real log of this size carries many checkpoints).
 */
async function buildChain(
  container: Container,
  file: string,
  clock: FixedClock,
): Promise<BuiltChain> {
  const started = performance.now();
  const generator = new ChainGenerator(42);
  const types = new Set<string>();
  let events = 0;
  let dataBytes = 0;
  let dataBytesMin = Number.POSITIVE_INFINITY;
  let dataBytesMax = 0;
  let checkpoints = 0;
  const bulk = new SqliteDatabase(file);
  try {
    // Build-only settings on this connection: the build is set-up, not a measured figure.
    bulk.pragma('synchronous = OFF');
    bulk.pragma('cache_size = -262144');
    const insert = bulk.prepare<StoredAuditEvent>(
      'insert into audit_events (seq, id, event_type, correlation_id, actor, subject, data, created_at, prev_hash, hash) ' +
        'values (@seq, @id, @event_type, @correlation_id, @actor, @subject, @data, @created_at, @prev_hash, @hash)',
    );
    const insertChunk = bulk.transaction((chunk: readonly StoredAuditEvent[]) => {
      for (const event of chunk) insert.run(event);
    });
    while (events < CHAIN_EVENTS) {
      const chunk: StoredAuditEvent[] = [];
      const size = Math.min(BUILD_CHUNK, CHAIN_EVENTS - events);
      for (let i = 0; i < size; i++) {
        const event = generator.next();
        const bytes = Buffer.byteLength(event.data);
        dataBytes += bytes;
        if (bytes < dataBytesMin) dataBytesMin = bytes;
        if (bytes > dataBytesMax) dataBytesMax = bytes;
        types.add(event.event_type);
        chunk.push(event);
      }
      insertChunk.immediate(chunk);
      events += chunk.length;
      clock.set(generator.lastCreatedAt);
      if (await container.audit.checkpoint()) checkpoints += 1;
    }
    // Leave the file as a long-running server would: WAL folded into the database.
    bulk.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    bulk.close();
  }
  return {
    events,
    ms: performance.now() - started,
    checkpoints,
    types: types.size,
    dataBytesMean: dataBytes / events,
    dataBytesMin,
    dataBytesMax,
  };
}

const childScript = fileURLToPath(new URL('./audit-verify-child.ts', import.meta.url));

function runChild(entry: ChildEntry, mode: ChildMode, database: BenchDatabase) {
  const execArgv = [...entry.execArgv];
  const profileDir = process.env.CABINET_BENCH_CPU_PROF;
  if (profileDir && mode === 'verify') {
    mkdirSync(resolve(profileDir), { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`);
  }
  return new Promise<ChildReport>((done, fail) => {
    const child = fork(entry.script, [mode], {
      env: { ...process.env, ...benchEnv(database) },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: ChildReport | null = null;
    child.on('message', (message) => {
      report = message as ChildReport;
    });
    child.on('error', fail);
    // 'close' rather than 'exit': it follows the IPC channel's last message.
    child.on('close', (code, signal) => {
      if (code === 0 && report) done(report);
      else fail(new Error(`the ${mode} child exited with ${signal ?? code} and no report`));
    });
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
