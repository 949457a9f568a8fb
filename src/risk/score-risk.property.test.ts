import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInstant } from './exact-arithmetic.js';
import { FACTOR_NAMES, type FactorName, type RiskInput } from './risk-model.js';
import { getRiskModel, RISK_MODELS } from './risk-registry.js';
import { scoreRisk } from './score-risk.js';

const DAY_MS = 86_400_000;

/** `ms` written as an ISO instant in the given UTC offset (minutes), as other systems send it. */
function isoAt(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`;
}

const offsets = fc.constantFrom(0, 60, -60, 330, 345, -570, 780, 840, -600, -720);
const asOfMs = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2035, 0, 1) });
/** Coverage as labs report it: whole, two decimals, or any double (clamped when out of range). */
const coverage = fc.oneof(
  fc.integer({ min: 0, max: 100 }),
  fc.integer({ min: 0, max: 10_000 }).map((h) => h / 100),
  fc.double({ min: -10, max: 110, noNaN: true }),
);
const ring0 = fc
  .integer({ min: 0, max: 400 })
  .chain((total) =>
    fc.record({ failed: fc.integer({ min: 0, max: total }), total: fc.constant(total) }),
  );

const inputArb: fc.Arbitrary<RiskInput> = fc
  .record({
    vulnerabilities: fc.option(fc.record({ critical: fc.nat(12), high: fc.nat(20) }), {
      nil: null,
    }),
    policy_violation_count: fc.nat(5),
    lab_coverage_percent: fc.option(coverage, { nil: null }),
    exception_count: fc.nat(5),
    ring0: fc.option(ring0, { nil: null }),
    transitive_dependency_count: fc.option(fc.nat(1500), { nil: null }),
    asOf: asOfMs,
    asOfOffset: offsets,
    // Ages cluster around the rubric bounds: whole days ± up to a day, some in the future.
    build: fc.option(
      fc.record({
        days: fc.integer({ min: -3, max: 400 }),
        jitter: fc.integer({ min: -DAY_MS, max: DAY_MS }),
        offset: offsets,
        dateOnly: fc.boolean(),
      }),
      { nil: null },
    ),
  })
  .map(({ asOf, asOfOffset, build, ...facts }) => {
    const buildMs = build ? asOf - build.days * DAY_MS + build.jitter : 0;
    return {
      ...facts,
      artifact_build_time: build
        ? build.dateOnly
          ? new Date(buildMs).toISOString().slice(0, 10)
          : isoAt(buildMs, build.offset)
        : null,
      as_of: isoAt(asOf, asOfOffset),
    };
  });

describe.each(Object.keys(RISK_MODELS))('scoreRisk properties under model %s', (version) => {
  const model = getRiskModel(version);
  const score = (input: RiskInput) => scoreRisk(input, model);

  it('the score is an integer 0–100 whose band and threshold follow from it', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = score(input);
        expect(Number.isInteger(result.score)).toBe(true);
        expect(result.score).toBeGreaterThanOrEqual(0);
        expect(result.score).toBeLessThanOrEqual(100);
        const band = model.bands.find((b) => b.recommendation === result.recommendation)!;
        expect(result.score).toBeGreaterThanOrEqual(band.min);
        expect(result.score).toBeLessThanOrEqual(band.max);
        expect(result.threshold_exceeded).toBe(
          result.score > model.threshold.score_above ||
            (model.threshold.on_policy_violation && input.policy_violation_count > 0),
        );
        let hundredths = 0;
        for (const factor of Object.values(result.factors)) {
          expect(Number.isInteger(factor.normalized)).toBe(true);
          expect(factor.weighted).toBe((factor.weight * factor.normalized) / 100);
          hundredths += factor.weight * factor.normalized;
        }
        expect(result.score).toBe(Math.floor((hundredths + 50) / 100));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is identical across runs, whatever was scored in between', () => {
    fc.assert(
      fc.property(inputArb, inputArb, (input, other) => {
        const first = JSON.stringify(score(input));
        score(other);
        expect(JSON.stringify(score(structuredClone(input)))).toBe(first);
      }),
    );
  });

  /** A variant of `base` with more raw risk in one factor only (missing is the most). */
  const riskier: Record<FactorName, (base: RiskInput) => fc.Arbitrary<RiskInput>> = {
    vulnerabilities: (base) =>
      fc.oneof(
        fc.constant({ ...base, vulnerabilities: null }),
        fc.record({ critical: fc.nat(10), high: fc.nat(10) }).map((more) => ({
          ...base,
          vulnerabilities: base.vulnerabilities && {
            critical: base.vulnerabilities.critical + more.critical,
            high: base.vulnerabilities.high + more.high,
          },
        })),
      ),
    policy_violations: (base) =>
      fc.nat(5).map((k) => ({ ...base, policy_violation_count: base.policy_violation_count + k })),
    test_coverage: (base) =>
      fc.oneof(
        fc.constant({ ...base, lab_coverage_percent: null }),
        fc.oneof(fc.double({ min: 0, max: 120, noNaN: true }), fc.constant(0.5)).map((less) => ({
          ...base,
          lab_coverage_percent:
            base.lab_coverage_percent === null ? null : base.lab_coverage_percent - less,
        })),
      ),
    exception_count: (base) =>
      fc.nat(5).map((k) => ({ ...base, exception_count: base.exception_count + k })),
    ring_0_failures: (base) =>
      fc.oneof(
        fc.constant({ ...base, ring0: null }),
        fc.constant({ ...base, ring0: { failed: 0, total: 0 } }),
        // Any result with a failure rate at least as high (compared by cross-multiplying).
        ring0
          .filter(
            (next) =>
              base.ring0 === null ||
              base.ring0.total === 0 ||
              (next.total > 0 && next.failed * base.ring0.total >= base.ring0.failed * next.total),
          )
          // Missing (no results, or 0 tests) is already the most: it stays missing.
          .map((next) =>
            base.ring0 === null || base.ring0.total === 0 ? base : { ...base, ring0: next },
          ),
      ),
    dependency_risk: (base) =>
      fc.oneof(
        fc.constant({ ...base, transitive_dependency_count: null }),
        fc.nat(1000).map((k) => ({
          ...base,
          transitive_dependency_count:
            base.transitive_dependency_count === null ? null : base.transitive_dependency_count + k,
        })),
      ),
    artifact_age: (base) => {
      const buildMs =
        base.artifact_build_time === null ? null : parseInstant(base.artifact_build_time);
      const asOf = parseInstant(base.as_of)!;
      const later = fc.integer({ min: 0, max: 400 * DAY_MS });
      return fc.oneof(
        fc.constant({ ...base, artifact_build_time: null }),
        fc.tuple(later, offsets).map(([ms, off]) => ({
          ...base,
          artifact_build_time: buildMs === null ? null : isoAt(buildMs - ms, off),
        })),
        fc.tuple(later, offsets).map(([ms, off]) => ({ ...base, as_of: isoAt(asOf + ms, off) })),
      );
    },
  };

  it.each(FACTOR_NAMES)('more raw risk in %s never lowers the score', (name) => {
    fc.assert(
      fc.property(
        inputArb.chain((base) => riskier[name](base).map((more) => [base, more] as const)),
        ([base, more]) => {
          const before = score(base);
          const after = score(more);
          expect(after.factors[name].normalized).toBeGreaterThanOrEqual(
            before.factors[name].normalized,
          );
          expect(after.score).toBeGreaterThanOrEqual(before.score);
          // Every other factor is untouched.
          for (const other of FACTOR_NAMES) {
            if (other !== name) expect(after.factors[other]).toEqual(before.factors[other]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('every registered model has integer weights summing to 100', () => {
    for (const registered of Object.values(RISK_MODELS)) {
      const weights = Object.values(registered.weights);
      expect(weights.every(Number.isInteger)).toBe(true);
      expect(weights.reduce((a, b) => a + b, 0)).toBe(100);
    }
  });
});

describe('scoreRisk is identical across processes, time zones, locales and JIT tiers', () => {
  const model = getRiskModel('1.0');
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-risk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = promisify(execFile);
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const entry = pathToFileURL(fileURLToPath(new URL('./index.ts', import.meta.url))).href;

  // Runs in a fresh Node process: scores the same inputs and reports what it saw.
  const child = `
    import { readFileSync } from 'node:fs';
    const { getRiskModel, scoreRisk } = await import(${JSON.stringify(entry)});
    const inputs = JSON.parse(readFileSync(process.env.RISK_INPUTS, 'utf8'));
    const model = getRiskModel('1.0');
        process.stdout.write(JSON.stringify({
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      locale: Intl.DateTimeFormat().resolvedOptions().locale,
      results: inputs.map((input) => scoreRisk(input, model)),
    }));
  `;

  const environments = [
    { TZ: 'Pacific/Kiritimati', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8', flags: [] },
    { TZ: 'America/Adak', LANG: 'ar_EG.UTF-8', LC_ALL: 'ar_EG.UTF-8', flags: [] },
    { TZ: 'Asia/Kathmandu', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', flags: ['--jitless'] },
    { TZ: 'Pacific/Chatham', LANG: 'C', LC_ALL: 'C', flags: ['--no-opt'] },
  ];

  it('scores a seeded sample the same way in every environment', async () => {
    const inputs = fc.sample(inputArb, { seed: 20_260_301, numRuns: 400 });
    const file = join(dir, 'inputs.json');
    writeFileSync(file, JSON.stringify(inputs));
    const expected = inputs.map((input) => JSON.stringify(scoreRisk(input, model)));
    const outputs = await Promise.all(
      environments.map(async ({ flags, ...env }) => {
        const { stdout } = await run(
          process.execPath,
          [...flags, '--import', 'tsx', '--input-type=module', '-e', child],
          {
            cwd: repoRoot,
            env: { PATH: process.env.PATH, ...env, RISK_INPUTS: file },
            maxBuffer: 64 * 1024 * 1024,
          },
        );
        return { env, report: JSON.parse(stdout) as { timeZone: string; results: unknown[] } };
      }),
    );
    for (const { env, report } of outputs) {
      // The environment really took effect, or this test would prove nothing.
      // (ICU names some zones by an older alias: Asia/Kathmandu is Asia/Katmandu.)
      const zone = new Intl.DateTimeFormat('en', { timeZone: env.TZ }).resolvedOptions().timeZone;
      expect(report.timeZone).toBe(zone);
      const got = report.results.map((result) => JSON.stringify(result));
      expect(got).toHaveLength(expected.length);
      // The first difference only, so a failure reads as one input, not 400.
      const at = got.findIndex((json, i) => json !== expected[i]);
      expect(at === -1 ? null : { env, input: inputs[at], got: got[at] }).toBeNull();
    }
  });
});
