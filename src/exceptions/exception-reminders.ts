/**
 * Reminders before an approved exception expires, as pure functions: which threshold applies
 * now, the key that makes each reminder exist once, and who gets it. The service
 * (ExceptionService.remindExpiring) reads the exceptions and enqueues; these decide.
 *
 * A reminder for threshold N is due once less than N days are left. When a sweep finds
 * several thresholds passed (an exception approved three days before its expiry, with
 * thresholds 7 and 1, or a server that was down for a week), only the smallest passed one is
 * sent: one mail that says how long is really left, not a burst of stale ones.
 */
import type { Recipient } from '../outbox/outbox.js';
import { DAY_MS } from './exception-rules.js';

/** Positive whole days, each once, largest first (the configuration already gives it so). */
export function normaliseThresholds(days: readonly number[]): number[] {
  for (const n of days) {
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`reminder thresholds are positive whole days; got ${JSON.stringify(n)}`);
    }
  }
  return [...new Set(days)].sort((a, b) => b - a);
}

/**
 * The threshold whose reminder is due at `now`: the smallest N (days) with at most N days
 * left, or null when the exception is further out than every threshold or already expired.
 * `thresholds` is largest first (normaliseThresholds).
 */
export function dueThreshold(
  expiresAt: string,
  now: Date,
  thresholds: readonly number[],
): number | null {
  const left = Date.parse(expiresAt) - now.getTime();
  if (!Number.isFinite(left) || left <= 0) return null;
  let due: number | null = null;
  for (const n of thresholds) {
    if (left <= n * DAY_MS) due = due === null ? n : Math.min(due, n);
  }
  return due;
}

/** How far ahead the sweep must look: the largest threshold, in ms. */
export function reminderHorizonMs(thresholds: readonly number[]): number {
  return thresholds.length === 0 ? 0 : Math.max(...thresholds) * DAY_MS;
}

/**
 * The outbox key of one reminder. The outbox keeps a key once (a unique index), so however
 * many sweeps on however many instances enqueue it, one message exists per exception and
 * threshold.
 */
export function reminderKey(exceptionId: string, thresholdDays: number): string {
  return `exception.expiring:${exceptionId}:${thresholdDays}d`;
}

/**
 * The requester (unless disabled or gone) and then the security reviewers (already without
 * disabled users), each once.
 */
export function reminderRecipients(
  requester: { id: string; email: string; disabled?: boolean } | null,
  reviewers: readonly Recipient[],
): Recipient[] {
  const all: Recipient[] = [];
  if (requester && !requester.disabled) all.push({ user_id: requester.id, email: requester.email });
  all.push(...reviewers);
  const seen = new Set<string>();
  return all.filter((r) => {
    if (seen.has(r.user_id)) return false;
    seen.add(r.user_id);
    return true;
  });
}
