/**
 * Risk scoring bench (`npm run bench -- risk`): how many RiskInputs `scoreRisk` turns into
 * RiskResults per second on one core (the scorer is synchronous, so this process's one
 * thread is the core). Target ≥ 10,000 scores/s: re-scoring a CAB queue or shadow-scoring a
 * history of packs under a candidate model must take seconds, not minutes.
 *
 * The inputs are drawn up front from a seeded generator with every factor spread across its
 * rubric, missing evidence included, so the timed loop only scores. The input count can be
 * lowered for a quick look with CABINET_BENCH_RISK_INPUTS (default 200,000).
 */
import { performance } from 'node:perf_hooks';
import {
  getRiskModel,
  type RiskInput,
  type RiskModel,
  type RiskResult,
  scoreRisk,
} from '../src/risk/index.js';
import { seededRandom } from './generators/seeded-random.js';
import { formatNumber, type Reporter } from './reporter.js';

const INPUTS = positiveInt('CABINET_BENCH_RISK_INPUTS', 200_000);
const ROUNDS = 5;
const WARMUP = 20_000;
const TARGET_PER_SECOND = 10_000;
const DAY_MS = 86_400_000;

function positiveInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be ≥ 1`);
  return value;
}

type Random = () => number;
const int = (random: Random, max: number) => Math.floor(random() * (max + 1));
const maybe = <T>(random: Random, present: () => T): T | null =>
  random() < 0.15 ? null : present();

/** One intent's frozen facts; about one factor in seven is missing evidence. */
export function generateInput(random: Random): RiskInput {
  const asOfMs = Date.UTC(2026, 0, 1) + int(random, 365 * DAY_MS);
  const total = int(random, 300);
  return {
    vulnerabilities: maybe(random, () => ({ critical: int(random, 6), high: int(random, 12) })),
    policy_violation_count: int(random, 4),
    lab_coverage_percent: maybe(random, () => int(random, 10_000) / 100),
    exception_count: int(random, 4),
    ring0: maybe(random, () => ({ failed: int(random, Math.min(total, 10)), total })),
    transitive_dependency_count: maybe(random, () => int(random, 1_500)),
    artifact_build_time: maybe(random, () =>
      new Date(asOfMs - int(random, 450 * DAY_MS)).toISOString(),
    ),
    as_of: new Date(asOfMs).toISOString(),
  };
}

/** Scores every input once; returns elapsed ms and a checksum the optimiser cannot drop. */
function scoreAll(
  inputs: readonly RiskInput[],
  model: RiskModel,
  after: (result: RiskResult) => number = (r) => r.score,
): { ms: number; checksum: number } {
  let checksum = 0;
  const started = performance.now();
  for (const input of inputs) checksum += after(scoreRisk(input, model));
  return { ms: performance.now() - started, checksum };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

export async function run(report: Reporter): Promise<void> {
  const model = getRiskModel();
  const random = seededRandom(20_260_301);
  const inputs = Array.from({ length: INPUTS }, () => generateInput(random));
  report.note(`${formatNumber(INPUTS)} generated inputs, model ${model.version}`);

  scoreAll(inputs.slice(0, WARMUP), model);
  const rates: number[] = [];
  let checksum = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const result = scoreAll(inputs, model);
    rates.push((INPUTS / result.ms) * 1000);
    checksum = result.checksum;
  }
  report.note(`mean score ${(checksum / INPUTS).toFixed(2)} (checksum, same every run)`);
  report.figure({
    name: 'scoreRisk throughput, one core',
    value: median(rates),
    unit: 'scores/s',
    target: { on: 'value', op: '>=', limit: TARGET_PER_SECOND },
    detail: `median of ${ROUNDS} rounds × ${formatNumber(INPUTS)} inputs; rounds ${rates.map((r) => formatNumber(r)).join(', ')}`,
  });

  // What a preview or pack pays: the result serialised as well as computed.
  const serialised = scoreAll(inputs, model, (r) => JSON.stringify(r).length);
  report.figure({
    name: 'scoreRisk + JSON.stringify of the result',
    value: (INPUTS / serialised.ms) * 1000,
    unit: 'scores/s',
    detail: `one round × ${formatNumber(INPUTS)} inputs`,
  });
}
