import { describe, expect, it } from 'vitest';
import { generateTrivyReport } from '../../../../bench/generators/trivy.js';
import { parseScan } from './parse-scan.js';

/** The benchmark generator must keep producing reports the real parser accepts. */
describe('bench/generators/trivy', () => {
  it.each([0, 1, 7, 250])('produces a Trivy report with exactly %i distinct findings', (count) => {
    const text = generateTrivyReport(count, 3);
    const parsed = parseScan(new TextEncoder().encode(text));
    expect(parsed.format).toBe('trivy');
    expect(parsed.warnings).toEqual([]);
    expect(parsed.summary.finding_count).toBe(count);
  });

  it('is deterministic per seed, repeats findings across lockfile targets, shares CVEs across packages', () => {
    expect(generateTrivyReport(50, 9)).toBe(generateTrivyReport(50, 9));
    expect(generateTrivyReport(50, 9)).not.toBe(generateTrivyReport(50, 10));
    const text = generateTrivyReport(400, 1);
    const entries = (text.match(/"VulnerabilityID"/g) ?? []).length;
    expect(entries).toBeGreaterThan(400);
    const { findings } = parseScan(new TextEncoder().encode(text)).summary;
    expect(findings.some((f) => f.targets.length > 1)).toBe(true);
    const perCve = new Map<string, number>();
    for (const f of findings)
      perCve.set(f.vulnerability_id, (perCve.get(f.vulnerability_id) ?? 0) + 1);
    expect([...perCve.values()].some((n) => n > 1)).toBe(true);
    expect(new Set(findings.map((f) => f.severity)).size).toBe(5);
  });

  it('rejects a negative count', () => {
    expect(() => generateTrivyReport(-1)).toThrow(RangeError);
  });
});
