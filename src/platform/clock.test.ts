import { describe, expect, it } from 'vitest';
import { FixedClock, isoNow, systemClock } from './clock.js';
import { uuidv7 } from './ids.js';

describe('clocks and ids', () => {
  it('moves a FixedClock only when told', () => {
    const clock = new FixedClock('2026-03-01T00:00:00Z');
    expect(isoNow(clock)).toBe('2026-03-01T00:00:00.000Z');
    clock.advance(1500);
    expect(isoNow(clock)).toBe('2026-03-01T00:00:01.500Z');
    clock.set('2027-01-01T00:00:00Z');
    expect(clock.now().getUTCFullYear()).toBe(2027);
    expect(new FixedClock().now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(Math.abs(systemClock.now().getTime() - Date.now())).toBeLessThan(1000);
  });

  it('makes time-ordered UUIDv7 ids', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13)).toBe('018bcfe5-6800');
  });

  it('stays strictly increasing when the clock stands still or steps back', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_800_000_000_000 - (i % 3)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
