/**
 * Integer-only helpers for the scorer. A risk score must come out the same on every machine,
 * every time zone and every locale, so nothing here rounds a binary fraction, reads the
 * local clock or zone, or formats through the locale: divisions are exact integer
 * divisions, decimals are read from their canonical text, instants are parsed by hand.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * `floor(a / b)` for safe integers a and b > 0, without a floating-point quotient: `a − r`
 * is an exact multiple of b, so the one division left is exact.
 */
function divFloor(a: number, b: number): number {
  const r = ((a % b) + b) % b;
  return (a - r) / b;
}

/**
 * round_half_up(n / d) for integers n ≥ 0, d > 0, computed as `floor((2n + d) / (2d))`.
 * Falls back to BigInt when the intermediate values leave the exact range of a double.
 */
export function roundHalfUpRatio(n: number, d: number): number {
  if (2 * n + d <= MAX_SAFE && 2 * d <= MAX_SAFE) return divFloor(2 * n + d, 2 * d);
  const big = (2n * BigInt(n) + BigInt(d)) / (2n * BigInt(d));
  return Number(big);
}

/**
 * round_half_up(x) to an integer for a finite x in 0–100, read from x's canonical decimal
 * text (ECMAScript Number::toString, the shortest text that round-trips: exactly what a
 * JSON document carried for any value written with ≤ 15 significant digits). Half up on
 * the decimal means "first fractional digit ≥ 5", so 87.5 → 88 and 87.49999999 → 87 with
 * no binary-fraction surprise such as 1.005 × 100 = 100.49999999999999.
 */
export function roundHalfUpPercent(x: number): number {
  const text = String(x);
  // Only values below 1e-6 print with an exponent in this range; they round to 0.
  if (text.includes('e')) return 0;
  const dot = text.indexOf('.');
  if (dot === -1) return Number(text);
  const whole = Number(text.slice(0, dot));
  return text.charCodeAt(dot + 1) >= 53 /* '5' */ ? whole + 1 : whole;
}

const DAY_MS = 86_400_000;

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), in
 * integers: `Date.UTC` would do, but it maps years 0–99 to 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = divFloor(y, 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = divFloor(153 * mp + 2, 5) + day - 1;
  const doe = yoe * 365 + divFloor(yoe, 4) - divFloor(yoe, 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Epoch milliseconds of an ISO-8601 / RFC 3339 instant, or null when the text is not one.
 * A date-time must carry its offset (`Z`, `+02:00`, `+0200`, `+02`): JavaScript would read
 * one without as local time, which differs between servers. A plain date is UTC midnight.
 * Fractions of a millisecond are dropped (truncation = floor, instants being ≥ year 0000).
 */
export function parseInstant(text: string): number | null {
  const m = ISO_INSTANT.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return null;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > monthDays) return null;
  const hour = Number(m[4] ?? 0);
  const minute = Number(m[5] ?? 0);
  // 60 admits a leap second as RFC 3339 does; it simply counts into the next minute.
  const second = Number(m[6] ?? 0);
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  if (hour > 23 || minute > 59 || second > 60) return null;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2) || '0');
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const days = daysFromCivil(year, month, day);
  const minutes = days * 1440 + hour * 60 + minute - offsetMinutes;
  return (minutes * 60 + second) * 1000 + millis;
}

/** Whole days from `fromMs` to `toMs`, rounded down (negative when `to` is earlier). */
export function wholeDaysBetween(fromMs: number, toMs: number): number {
  return divFloor(toMs - fromMs, DAY_MS);
}
