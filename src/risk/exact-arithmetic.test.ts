import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseInstant,
  roundHalfUpPercent,
  roundHalfUpRatio,
  wholeDaysBetween,
} from './exact-arithmetic.js';

/** Reference: round_half_up(n / d) in BigInt, no shortcuts. */
const referenceRatio = (n: number, d: number) => {
  const [bn, bd] = [BigInt(n), BigInt(d)];
  const q = bn / bd;
  return Number(2n * (bn - q * bd) >= bd ? q + 1n : q);
};

describe('roundHalfUpRatio', () => {
  it.each([
    [0, 1, 0],
    [1, 2, 1],
    [1, 3, 0],
    [2, 3, 1],
    [6450, 100, 65],
    [6449, 100, 64],
    [100, 3, 33],
    [200, 3, 67],
    [500, 8, 63],
  ])('round_half_up(%i / %i) = %i', (n, d, expected) => {
    expect(roundHalfUpRatio(n, d)).toBe(expected);
  });

  it('agrees with a BigInt reference, including beyond 2^53 where it switches to BigInt', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.nat(100_000), fc.maxSafeNat()),
        fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1 })),
        (n, d) => {
          expect(roundHalfUpRatio(n, d)).toBe(referenceRatio(n, d));
        },
      ),
    );
    const big = Number.MAX_SAFE_INTEGER;
    expect(roundHalfUpRatio(10_000 * big, big)).toBe(10_000);
  });
});

describe('roundHalfUpPercent', () => {
  it.each([
    [0, 0],
    [0.49, 0],
    [0.5, 1],
    [1.005, 1], // 1.005 × 100 is 100.49999999999999 in binary; the decimal rounds down
    [2.675, 3],
    [87.5, 88],
    [87.49999999999999, 87],
    [99.5, 100],
    [100, 100],
    [5e-7, 0],
    [42, 42],
  ])('round_half_up(%d) = %i', (x, expected) => {
    expect(roundHalfUpPercent(x)).toBe(expected);
  });

  it('equals round half up on the decimal text for any two-decimal percent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (hundredths) => {
        // hundredths / 100 prints as the two-decimal number it stands for.
        const expected = Math.floor((hundredths + 50) / 100);
        expect(roundHalfUpPercent(hundredths / 100)).toBe(expected);
      }),
    );
  });
});

describe('parseInstant', () => {
  it.each([
    ['2026-03-01T12:00:00.000Z', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01T12:00:00Z', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01t12:00:00z', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01 12:00Z', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01T12:00:00.123456789Z', Date.UTC(2026, 2, 1, 12, 0, 0, 123)],
    ['2026-03-01T12:00:00,5Z', Date.UTC(2026, 2, 1, 12, 0, 0, 500)],
    ['2026-03-01T14:30:00+02:30', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01T14:30:00+0230', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01T10:00:00-02', Date.UTC(2026, 2, 1, 12)],
    ['2026-03-01', Date.UTC(2026, 2, 1)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1)],
    ['1970-01-01T00:00:00Z', 0],
    ['0000-01-01T00:00:00Z', -62_167_219_200_000],
    ['0050-06-15T00:00:00Z', -60_575_040_000_000],
  ])('%s', (text, expected) => {
    expect(parseInstant(text)).toBe(expected);
  });

  it.each([
    '2026-03-01T12:00:00', // no offset: JavaScript would read local time
    '2026-03-01T12:00',
    '2026-3-1',
    '2026-00-10',
    '2026-13-01',
    '2026-04-31',
    '2026-02-29',
    '1900-02-29',
    '2026-01-00',
    '2026-01-01T24:00:00Z',
    '2026-01-01T12:60:00Z',
    '2026-01-01T12:00:61Z',
    '2026-01-01T12:00:00+24:00',
    '2026-01-01T12:00:00+05:60',
    '',
    'yesterday',
    ' 2026-01-01',
  ])('refuses %j', (text) => {
    expect(parseInstant(text)).toBeNull();
  });

  it('agrees with Date for every instant Date prints', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (date) => {
          expect(parseInstant(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });
});

describe('wholeDaysBetween', () => {
  const day = 86_400_000;
  it.each([
    [0, 0, 0],
    [0, day - 1, 0],
    [0, day, 1],
    [0, -1, -1],
    [0, -day, -1],
    [0, -day - 1, -2],
    [5 * day, 400 * day + 7, 395],
  ])('from %i to %i: %i', (from, to, days) => {
    expect(wholeDaysBetween(from, to)).toBe(days);
  });
});
