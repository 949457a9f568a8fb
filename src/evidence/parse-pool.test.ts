import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCycloneDx } from '../../bench/generators/cyclonedx.js';
import { DomainError } from '../platform/errors.js';
import { parseDocumentEvidence } from './parse-evidence.js';
import { INLINE_PARSE_BYTES, ParsePool } from './parse-pool.js';

/** What the pool answers, less the serialised summary it carries for storage. */
function parsed(value: Awaited<ReturnType<ParsePool['parse']>>) {
  const { summaryJson, ...rest } = value;
  if (summaryJson !== undefined) expect(JSON.parse(summaryJson)).toEqual(rest.summary);
  return rest;
}

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
    expect(a.summaryJson).toBeDefined();
    expect(parsed(a)).toEqual(inline);
    expect(parsed(b)).toEqual(inline);
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
        expect(parsed(staged)).toEqual(parseDocumentEvidence('sbom', bytes, {}));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends a worker once it has answered for a large document, and starts another on next use', async () => {
    const retiring = new ParsePool(1, { retireAfterBytes: 600 * 1024 });
    try {
      const small = Buffer.from(generateCycloneDx(500, 4));
      const large = Buffer.from(generateCycloneDx(2_000, 5));
      expect(small.length).toBeGreaterThan(INLINE_PARSE_BYTES);
      expect(small.length).toBeLessThan(600 * 1024);
      expect(large.length).toBeGreaterThan(600 * 1024);
      await retiring.parse('sbom', small, {});
      expect(retiring.running).toBe(1);
      const result = await retiring.parse('sbom', large, {});
      expect(result.summary).toEqual(parseDocumentEvidence('sbom', large, {}).summary);
      expect(retiring.running).toBe(0);
      // Two at once share the one worker: it is kept until the last has its answer.
      const both = await Promise.all([
        retiring.parse('sbom', large, {}),
        retiring.parse('sbom', small, {}),
      ]);
      expect(both.map((r) => r.format)).toEqual(['cyclonedx', 'cyclonedx']);
      expect(retiring.running).toBe(1);
      await retiring.parse('sbom', large, {});
      expect(retiring.running).toBe(0);
    } finally {
      await retiring.close();
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
