/**
 * Child process of bench/packs.ts: offline verification of an exported bundle file through the
 * real CLI entry point, `main(['verify', file, '--key', keyFile])`, in a fresh process (an
 * auditor runs `cabinet verify` once, on a process of its own: no warm JIT, no warm heap).
 *
 * Modes:
 *  - `measure <bundle> <key> <warm runs>`: the floor first (SHA-256 over the file's bytes,
 *    read untimed), then the CLI verify once, cold, then a cross-check floor (decode +
 *    JSON.parse + SHA-256), then `warm runs` more CLI verifies and as many direct ones
 *    (readFile + JSON.parse + verifyBundle, no CLI), each timed;
 *  - `cli <bundle> <key>`: the CLI verify once and nothing else, so the parent can time the
 *    whole process (start, module loading, verify, exit) as a person at a terminal sees it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { CliIo } from '../src/cli/cli-io.js';
import { main } from '../src/cli/main.js';
import { verifyBundle } from '../src/packs/bundle.js';

export type VerifyChildMode = 'measure' | 'cli';

export interface Timing {
  /** Wall time, ms. */
  ms: number;
  /** User + system CPU of the process (all threads), ms. */
  cpuMs: number;
}

export interface VerifyChildReport {
  mode: VerifyChildMode;
  bytes: number;
  /** SHA-256 of the file's bytes in memory, median of FLOOR_RUNS (measure only). */
  floor: Timing | null;
  /** A cross-check floor: UTF-8 decode + JSON.parse + SHA-256 of the same bytes (measure only). */
  jsonFloor: Timing | null;
  /** The first CLI verify of this process. */
  cold: Timing;
  /** Further CLI verifies in the same process (measure only). */
  warm: Timing[];
  /** readFile + JSON.parse + verifyBundle with the same key, no CLI (measure only). */
  direct: Timing[];
  /** What the CLI printed last: `VERIFIED: …` when the bundle verified. */
  verdict: string;
}

const FLOOR_RUNS = 5;

function timed(work: () => unknown): Timing;
function timed(work: () => Promise<unknown>): Promise<Timing>;
function timed(work: () => unknown): Timing | Promise<Timing> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const finish = (): Timing => {
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
  };
  const result = work();
  return result instanceof Promise ? result.then(finish) : finish();
}

const median = (values: readonly Timing[]): Timing => {
  const sorted = [...values].sort((a, b) => a.ms - b.ms);
  return sorted[sorted.length >> 1]!;
};

/** `cabinet verify FILE --key KEY` as the CLI runs it; throws unless it verified. */
async function cliVerify(file: string, keyFile: string): Promise<string> {
  const out: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: () => undefined,
    env: process.env,
    untilStopped: async () => undefined,
  };
  const code = await main(['verify', file, '--key', keyFile], io);
  const verdict = out.at(-1) ?? '';
  if (code !== 0 || !verdict.startsWith('VERIFIED')) {
    throw new Error(`cabinet verify exited ${code}:\n${out.join('\n')}`);
  }
  return verdict;
}

async function run(mode: VerifyChildMode, file: string, keyFile: string, warmRuns: number) {
  const bytes = readFileSync(file);
  let floor: Timing | null = null;
  let jsonFloor: Timing | null = null;
  if (mode === 'measure') {
    createHash('sha256').update('warm up').digest('hex');
    const floors: Timing[] = [];
    for (let i = 0; i < FLOOR_RUNS; i++) {
      floors.push(timed(() => createHash('sha256').update(bytes).digest('hex')));
    }
    floor = median(floors);
  }
  let verdict = '';
  const cold = await timed(async () => {
    verdict = await cliVerify(file, keyFile);
  });
  const warm: Timing[] = [];
  const direct: Timing[] = [];
  if (mode === 'measure') {
    // After the cold verify, so the CLI's first call is the first JSON.parse of this process.
    const jsonFloors: Timing[] = [];
    for (let i = 0; i < FLOOR_RUNS; i++) {
      jsonFloors.push(
        timed(() => {
          JSON.parse(bytes.toString('utf8'));
          return createHash('sha256').update(bytes).digest('hex');
        }),
      );
    }
    jsonFloor = median(jsonFloors);
    const pem = readFileSync(keyFile, 'utf8');
    for (let i = 0; i < warmRuns; i++) {
      warm.push(await timed(() => cliVerify(file, keyFile)));
      direct.push(
        timed(() => {
          const bundle: unknown = JSON.parse(readFileSync(file, 'utf8'));
          const result = verifyBundle(bundle, { trustedKeys: [{ pem }] });
          if (!result.ok) throw new Error('verifyBundle did not verify the bundle');
        }),
      );
    }
  }
  const report: VerifyChildReport = {
    mode,
    bytes: bytes.length,
    floor,
    jsonFloor,
    cold,
    warm,
    direct,
    verdict,
  };
  process.send?.(report);
}

const [mode, file, keyFile, warmRuns] = process.argv.slice(2);
if ((mode !== 'measure' && mode !== 'cli') || !file || !keyFile) {
  process.stderr.write('usage: packs-verify-child (measure|cli) <bundle> <key> [warm runs]\n');
  process.exitCode = 2;
} else {
  await run(mode, file, keyFile, Number(warmRuns ?? 0));
}
