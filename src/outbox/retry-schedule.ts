/**
 * When to try a message again, after the Standard Webhooks schedule: the first attempt at
 * once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after each failure; the
 * message is dead after the last. Email follows the same schedule: one rule for the outbox.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
];

/** Attempts in all: the first and one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** Up to this much later than the schedule, so retries of one outage do not arrive together. */
export const JITTER = 0.1;

/**
 * The delay before the next attempt after `attempts` failed ones (1 after the first), or null
 * when none is left. `random` is in [0, 1). A receiver's Retry-After wins when it asks for
 * longer, bounded by the schedule's longest delay so a hostile header cannot park a message.
 */
export function nextDelayMs(
  attempts: number,
  random: number,
  retryAfterMs: number | null = null,
): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_MS[Math.max(0, attempts - 1)]!;
  const jittered = Math.round(base * (1 + JITTER * random));
  const longest = RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1]!;
  if (retryAfterMs === null || !Number.isFinite(retryAfterMs) || retryAfterMs <= jittered) {
    return jittered;
  }
  return Math.min(Math.round(retryAfterMs), longest);
}

/** A Retry-After header (delta seconds or an HTTP date) as ms from `now`, or null. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP date (IMF-fixdate); Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
