import { describe, expect, it } from 'vitest';
import { generateSpdx } from '../../../../bench/generators/spdx.js';
import { parseSbom } from './index.js';

describe('the bench SPDX generator', () => {
  it('produces documents parseSbom accepts, with the counts it was asked for', () => {
    const text = generateSpdx(1_234, 3);
    const parsed = parseSbom(Buffer.from(text));
    expect(parsed).toMatchObject({ format: 'spdx', spec_version: '2.3', warnings: [] });
    expect(parsed.summary.component_count).toBe(1_234);
    expect(parsed.summary.direct_dependency_count).toBe(124);
    expect(parsed.summary.root?.name).toBe('bench-application');
    expect(parsed.summary.has_dependency_graph).toBe(true);
    expect(parsed.summary.licenses.length).toBeGreaterThan(5);
    expect(parsed.summary.components.every((c) => c.purl !== null && c.hashes.length > 0)).toBe(
      true,
    );
    const document = JSON.parse(text) as { files: unknown[] };
    expect(document.files).toHaveLength(62);
  });

  it('is deterministic per seed', () => {
    expect(generateSpdx(50, 9)).toBe(generateSpdx(50, 9));
    expect(generateSpdx(50, 9)).not.toBe(generateSpdx(50, 10));
    expect(parseSbom(Buffer.from(generateSpdx(0))).summary.component_count).toBe(0);
  });
});
