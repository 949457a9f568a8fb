import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { formatBytes, progressLine, progressMeter } from './progress.js';

const MIB = 1024 * 1024;

describe('progressMeter', () => {
  it('reports 100 % with the last byte, before the source has ended', async () => {
    const lines: string[] = [];
    const meter = progressMeter('f', 4 * MIB, (line) => lines.push(line));
    const seen = new Promise<void>((resolve) => {
      meter.on('data', () => {
        if (lines.at(-1)?.includes('100%')) resolve();
      });
    });
    for (let i = 0; i < 4; i += 1) meter.write(Buffer.alloc(MIB));
    await seen;
    expect(lines.at(-1)).toBe(progressLine('f', 4 * MIB, 4 * MIB));
    meter.end();
    await new Promise((resolve) => meter.on('end', resolve));
    expect(lines.filter((line) => line.includes('100%'))).toHaveLength(1);
  });

  it('reports at most once per tenth, and ends on a line for an empty or shrunken source', async () => {
    const run = async (total: number, chunks: Buffer[]) => {
      const lines: string[] = [];
      await pipeline(
        Readable.from(chunks),
        progressMeter('f', total, (line) => lines.push(line)),
        new Writable({ write: (_chunk, _encoding, callback) => callback() }),
      );
      return lines;
    };
    const many = await run(
      100 * 1024,
      Array.from({ length: 100 }, () => Buffer.alloc(1024)),
    );
    expect(many).toHaveLength(11);
    expect(many.at(-1)).toContain('100%');
    expect(await run(0, [])).toEqual([progressLine('f', 0, 0)]);
    const shrunk = await run(10 * 1024, [Buffer.alloc(1024)]);
    expect(shrunk.at(-1)).toBe(progressLine('f', 1024, 10 * 1024));
    expect(formatBytes(3 * MIB)).toBe('3.0 MiB');
  });
});
