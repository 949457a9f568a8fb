import { afterEach, describe, expect, it, vi } from 'vitest';
import { startScheduler } from './scheduler.js';

describe('startScheduler', () => {
  afterEach(() => vi.useRealTimers());

  it('runs each job on its interval, never overlapping itself, and logs failures', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    const log = { error: (obj: unknown) => errors.push(obj) } as never;
    let runs = 0;
    let release: () => void = () => {};
    const slow = {
      name: 'slow',
      intervalMs: 10,
      run: () => {
        runs += 1;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    };
    const failing = {
      name: 'failing',
      intervalMs: 10,
      run: () => Promise.reject(new Error('boom')),
    };
    const stop = startScheduler([slow, failing], log);
    await vi.advanceTimersByTimeAsync(35);
    expect(runs).toBe(1); // still running: later ticks are skipped
    release();
    await vi.advanceTimersByTimeAsync(10);
    expect(runs).toBe(2);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors[0]).toMatchObject({ job: 'failing' });
    stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toBe(2);
  });
});
