import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCycloneDx } from '../../bench/generators/cyclonedx.js';
import { DomainError } from '../platform/errors.js';
import { parseDocumentEvidence } from './parse-evidence.js';
import { INLINE_PARSE_BYTES, ParsePool } from './parse-pool.js';

describe('ParsePool', () => {
  const pool = new ParsePool(2);
  afterAll(() => pool.close());

  it('parses large documents on worker threads with the same result as inline', async () => {
    const bytes = Buffer.from(generateCycloneDx(2_000, 7));
    expect(bytes.length).toBeGreaterThan(INLINE_PARSE_BYTES);
    const [a, b, c] = await Promise.all([
      pool.parse('sbom', bytes, {}),
      pool.parse('sbom', bytes, {}),
      pool.parse('sbom', bytes, { format: 'cyclonedx' }),
    ]);
    const inline = parseDocumentEvidence('sbom', bytes, {});
    expect(a).toEqual(inline);
    expect(b).toEqual(inline);
    expect(c.summary).toEqual(inline.summary);
  });

  it('queues on the busiest-but-least-loaded worker when all are busy', async () => {
    const single = new ParsePool(1);
    const bytes = Buffer.from(generateCycloneDx(1_500, 9));
    const results = await Promise.all([1, 2, 3].map(() => single.parse('sbom', bytes, {})));
    expect(new Set(results.map((r) => JSON.stringify(r.summary))).size).toBe(1);
    await single.close();
  });

  it('parses a staged file on a worker, and a small one inline, as it parses the bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cabinet-parse-pool-'));
    try {
      for (const count of [2_000, 3]) {
        const bytes = Buffer.from(generateCycloneDx(count, 11));
        const path = join(dir, `bom-${count}.json`);
        writeFileSync(path, bytes);
        const staged = await pool.parse('sbom', { path, size: bytes.length }, {});
        expect(staged).toEqual(parseDocumentEvidence('sbom', bytes, {}));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses small documents inline', async () => {
    const small = Buffer.from(generateCycloneDx(3, 1));
    expect((await pool.parse('sbom', small, {})).format).toBe('cyclonedx');
  });

  it('carries domain errors back with their kind, reason and paths', async () => {
    const bytes = Buffer.from(`${generateCycloneDx(2_000, 3).slice(0, -40)}`);
    const error = await pool.parse('sbom', bytes, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).kind).toBe('invalid_document');
    expect((error as DomainError).errors[0]?.path).toMatch(/^line \d+/);
  });
});
