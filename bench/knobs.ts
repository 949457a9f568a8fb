/**
 * A bench's knobs: CABINET_BENCH_* environment variables that lower (or raise) its sizes. An
 * unset or empty variable takes the default; anything else must be a number ≥ `min`, or the
 * bench stops before it starts, naming the variable and what it got.
 */
export function numberKnob(variable: string, fallback: number, min: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`${variable} must be a number ≥ ${min} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** numberKnob for a count: a whole number ≥ `min`. */
export function intKnob(variable: string, fallback: number, min: number): number {
  const value = numberKnob(variable, fallback, min);
  if (!Number.isInteger(value)) {
    throw new Error(
      `${variable} must be a whole number ≥ ${min} (got ${JSON.stringify(String(value))})`,
    );
  }
  return value;
}
