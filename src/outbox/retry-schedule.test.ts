import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JITTER,
  MAX_ATTEMPTS,
  nextDelayMs,
  parseRetryAfter,
  RETRY_DELAYS_MS,
} from './retry-schedule.js';

describe('the retry schedule', () => {
  it('is the Standard Webhooks one: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h', () => {
    const hours = (h: number) => h * 3_600_000;
    expect(RETRY_DELAYS_MS).toEqual([
      5_000,
      300_000,
      1_800_000,
      hours(2),
      hours(5),
      hours(10),
      hours(14),
      hours(20),
      hours(24),
    ]);
    expect(MAX_ATTEMPTS).toBe(10);
    expect(nextDelayMs(1, 0)).toBe(5_000);
    expect(nextDelayMs(9, 0)).toBe(hours(24));
    expect(nextDelayMs(10, 0)).toBeNull();
  });

  it('stays within its jitter band and never shrinks from one attempt to the next', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempts, random) => {
          const delay = nextDelayMs(attempts, random)!;
          const base = RETRY_DELAYS_MS[attempts - 1]!;
          expect(delay).toBeGreaterThanOrEqual(base);
          expect(delay).toBeLessThanOrEqual(Math.round(base * (1 + JITTER)));
          if (attempts < MAX_ATTEMPTS - 1) {
            expect(nextDelayMs(attempts + 1, 0)!).toBeGreaterThan(delay);
          }
        },
      ),
    );
  });

  it('lets a longer Retry-After win, bounded by the longest delay', () => {
    expect(nextDelayMs(1, 0, 60_000)).toBe(60_000);
    expect(nextDelayMs(1, 0, 1_000)).toBe(5_000);
    expect(nextDelayMs(1, 0, 10 ** 12)).toBe(24 * 3_600_000);
    expect(nextDelayMs(1, 0, Number.NaN)).toBe(5_000);
    expect(nextDelayMs(MAX_ATTEMPTS, 0, 60_000)).toBeNull();
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores nonsense', () => {
    const now = new Date('2026-12-02T10:00:00.000Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 7 ', now)).toBe(7_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
