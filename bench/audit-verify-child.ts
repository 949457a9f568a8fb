/**
 * Child process of bench/audit.ts: opens an existing bench database through the real
 * composition root and runs one measured operation. A fresh process per operation keeps
 * the comparison fair and the memory figure honest: each runs on a small heap of its own,
 * not in the parent that built the million-event chain (a heap that size makes every major
 * GC slow, and its maxRSS would say nothing about verify).
 *
 * Modes:
 *  - `verify`: AuditLog.verify() end to end;
 *  - `floor`: the pure hashing floor, canonicalEventText + SHA-256 + link checks, timed
 *    over the same events pre-loaded into memory a page at a time (loading is not timed);
 *  - `verifier`: ChainVerifier.push over the same pre-loaded pages (hashing + its checks);
 *  - `scan`: scanEvents() alone, reading without hashing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { scanEvents } from '../src/audit/audit-store.js';
import {
  ChainVerifier,
  canonicalEventText,
  GENESIS_HASH,
  type StoredAuditEvent,
  type VerifyResult,
} from '../src/audit/chain.js';
import { type Container, createContainer } from '../src/composition-root.js';
import { loadConfig } from '../src/config/config.js';

export type ChildMode = 'verify' | 'floor' | 'verifier' | 'scan';

export interface ChildReport {
  mode: ChildMode;
  /** Wall time of the measured work only. */
  ms: number;
  /**
   * CPU time (user + system, all threads) of the same work: on a shared machine it moves
   * far less than wall time when other processes compete for the cores.
   */
  cpuMs: number;
  events: number;
  /** verify and verifier: what the chain check concluded. */
  result: VerifyResult | null;
  /** RSS after opening the database, before the operation: the floor the peak grows from. */
  rssBeforeBytes: number;
  /** Highest RSS sampled from onProgress between batches, a cross-check on peakRssBytes. */
  rssSampledPeakBytes: number;
  /** Peak RSS of this process's own address space: startup plus the operation. */
  peakRssBytes: number;
  /** Where peakRssBytes came from (see peakRss()). */
  peakRssSource: string;
  /**
   * Longest the event loop went without a turn during the operation: what every other
   * request on a server running it (GET /api/v1/audit/verify) would wait at worst.
   */
  maxEventLoopStallMs: number;
}

/**
 * Events held in memory at once by `floor` and `verifier`: enough that the timed loop runs
 * long between loads, few enough that the heap stays near verify's own.
 */
const PRELOAD_PAGE = 10_000;

type Sample = () => void;

/** Starts a wall and CPU clock; calling the result reads both, in ms. */
function startClock(): () => { ms: number; cpuMs: number } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
  };
}

async function measure(mode: ChildMode, container: Container, sample: Sample) {
  switch (mode) {
    case 'verify': {
      const clock = startClock();
      const result = await container.audit.verify(sample);
      return { ...clock(), events: result.events_checked, result };
    }
    case 'scan': {
      let events = 0;
      const clock = startClock();
      for await (const batch of scanEvents(container.database.db)) {
        events += batch.length;
        sample();
      }
      return { ...clock(), events, result: null };
    }
    case 'floor': {
      let prev = GENESIS_HASH;
      return preloaded(container, sample, (page) => {
        prev = hashPage(page, prev);
      });
    }
    case 'verifier': {
      const checkpoints = await container.audit.checkpoints();
      const verifier = new ChainVerifier(checkpoints, (c) => container.audit.verifyCheckpoint(c));
      const timed = await preloaded(container, sample, (page) => {
        for (const event of page) verifier.push(event);
      });
      return { ...timed, result: verifier.finish() };
    }
  }
}

/**
 * The floor's loop, kept a plain function of its inputs like ChainVerifier.push: with the
 * chain state in a closure-captured variable instead, it measured no faster than push,
 * which does strictly more. Returns the last hash, where the next page's chain continues.
 */
function hashPage(page: readonly StoredAuditEvent[], start: string): string {
  let prev = start;
  for (const event of page) {
    const hash = createHash('sha256').update(canonicalEventText(event)).digest('hex');
    if (event.prev_hash !== prev || hash !== event.hash) {
      throw new Error(`the chain is broken at seq ${event.seq}`);
    }
    prev = hash;
  }
  return prev;
}

/** Loads the events a page at a time (untimed) and times only `work` on each page. */
async function preloaded(
  container: Container,
  sample: Sample,
  work: (page: readonly StoredAuditEvent[]) => void,
) {
  const url = container.config.databaseUrl;
  if (!url.startsWith('sqlite:')) throw new Error('the in-memory modes read SQLite only');
  const connection = new SqliteDatabase(url.slice('sqlite:'.length), { readonly: true });
  try {
    const page = connection.prepare<[number, number], StoredAuditEvent>(
      'select seq, id, event_type, correlation_id, actor, subject, data, created_at, prev_hash, hash ' +
        'from audit_events where seq > ? order by seq limit ?',
    );
    let ms = 0;
    let cpuMs = 0;
    let events = 0;
    for (let after = 0; ; ) {
      const rows = page.all(after, PRELOAD_PAGE);
      if (rows.length === 0) break;
      const clock = startClock();
      work(rows);
      const elapsed = clock();
      ms += elapsed.ms;
      cpuMs += elapsed.cpuMs;
      events += rows.length;
      sample();
      after = rows[rows.length - 1]!.seq;
    }
    return { ms, cpuMs, events, result: null };
  } finally {
    connection.close();
  }
}

/**
 * VmHWM from /proc/self/status where there is one. Not getrusage's maxRSS: on Linux, exec
 * can fold the peak of the pre-exec image (a fork of the parent, which holds hundreds of MB
 * after building the chain) into ru_maxrss; here a child reported 241 MB before doing
 * anything, at 97 MB of RSS. VmHWM belongs to the new address space alone.
 */
function peakRss(): { peakRssBytes: number; peakRssSource: string } {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return { peakRssBytes: Number(match[1]) * 1024, peakRssSource: 'VmHWM' };
  } catch {
    // Not Linux: fall through to getrusage, which can only overstate.
  }
  return {
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakRssSource: 'getrusage maxRSS, may include the parent image',
  };
}

async function main(): Promise<ChildReport> {
  const mode = process.argv[2] as ChildMode;
  const container = await createContainer(loadConfig(process.env), { migrate: false });
  try {
    const rssBeforeBytes = process.memoryUsage.rss();
    let peak = rssBeforeBytes;
    const sample = () => {
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
    };
    // A 5 ms ticker: the longest gap between two ticks is the longest stall. (Hand-rolled
    // because monitorEventLoopDelay drops the gap before its first tick, which is the whole
    // operation when that never yields.)
    let lastTick = performance.now();
    let maxGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - lastTick);
      lastTick = now;
    }, 5);
    await sleep(12);
    const measured = await measure(mode, container, sample);
    await sleep(12);
    clearInterval(ticker);
    sample();
    return {
      mode,
      ...measured,
      rssBeforeBytes,
      rssSampledPeakBytes: peak,
      ...peakRss(),
      maxEventLoopStallMs: maxGap,
    };
  } finally {
    await container.close();
  }
}

const report = await main();
process.send?.(report);
