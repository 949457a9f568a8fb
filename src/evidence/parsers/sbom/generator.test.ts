import { describe, expect, it } from 'vitest';
import { generateCycloneDx } from '../../../../bench/generators/cyclonedx.js';
import { parseSbom } from './index.js';

describe('the bench CycloneDX generator', () => {
  it('produces documents parseSbom accepts, with the counts it was asked for', () => {
    const text = generateCycloneDx(1_234, 3);
    const parsed = parseSbom(Buffer.from(text));
    expect(parsed).toMatchObject({ format: 'cyclonedx', spec_version: '1.5', warnings: [] });
    expect(parsed.summary.component_count).toBe(1_234);
    expect(parsed.summary.direct_dependency_count).toBe(124);
    expect(parsed.summary.licenses.length).toBeGreaterThan(5);
    expect(parsed.summary.components.every((c) => c.purl !== null && c.hashes.length > 0)).toBe(
      true,
    );
    const bom = JSON.parse(text) as { components: { components?: unknown[] }[] };
    expect(bom.components.some((c) => (c.components?.length ?? 0) > 0)).toBe(true);
  });

  it('is deterministic per seed', () => {
    expect(generateCycloneDx(50, 9)).toBe(generateCycloneDx(50, 9));
    expect(generateCycloneDx(50, 9)).not.toBe(generateCycloneDx(50, 10));
    expect(parseSbom(Buffer.from(generateCycloneDx(0))).summary.component_count).toBe(0);
  });
});
