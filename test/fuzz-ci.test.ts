import { describe, expect, it } from 'vitest';
import { runFuzz } from '../fuzz/harness.js';
import { EVIDENCE_KINDS } from '../src/evidence/parse-evidence.js';

/**
 * The fuzz harness (`npm run fuzz`) at CI size: the same seeded mutations through the real
 * route, few enough per kind to keep the suite fast. A failure names the seed and index;
 * `npm run fuzz -- --kinds KIND --seed 20260 --index I` replays it.
 */
const PER_KIND = Number(process.env.FUZZ_CI_COUNT ?? 2000);

describe('fuzzing the evidence route', () => {
  it(`answers ${PER_KIND} mutated documents per kind with no 5xx, leak or stray row`, async () => {
    const reports = await runFuzz({ seed: 20260, count: PER_KIND, kinds: EVIDENCE_KINDS });
    for (const report of reports) {
      expect(report.inputs).toBe(PER_KIND);
      expect(report.failures, report.kind).toEqual([]);
      // The mutations must reach the parsers' refusals, not only the happy path.
      expect(report.statuses['422'] ?? 0, report.kind).toBeGreaterThan(0);
    }
  }, 900_000);
});
