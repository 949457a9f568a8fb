/** The one source of time. Production reads the system clock; tests move a FixedClock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export class FixedClock implements Clock {
  #ms: number;

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  set(at: Date | string): void {
    this.#ms = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** ISO-8601 UTC with milliseconds: the one timestamp format stored and hashed. */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
