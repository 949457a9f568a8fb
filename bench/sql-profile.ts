/**
 * CABINET_BENCH_SQL_PROFILE=<file>: the server child times every better-sqlite3 statement
 * (run, get, all; iterate is left alone) by its SQL text and writes the totals there when it
 * stops, the slowest first. The CPU profile charges all of SQLite to kysely's executeQuery;
 * this says which statement the time went to.
 */
import { writeFileSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';

interface Tally {
  calls: number;
  ms: number;
}

export function profileSqlite(): (() => void) | null {
  const file = process.env.CABINET_BENCH_SQL_PROFILE;
  if (!file) return null;
  const tallies = new Map<string, Tally>();
  const probe = new SqliteDatabase(':memory:').prepare('select 1');
  const proto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  for (const method of ['run', 'get', 'all'] as const) {
    const original = proto[method] as (...args: unknown[]) => unknown;
    proto[method] = function timed(this: { source: string }, ...args: unknown[]) {
      const started = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const tally = tallies.get(this.source) ?? { calls: 0, ms: 0 };
        tally.calls += 1;
        tally.ms += performance.now() - started;
        tallies.set(this.source, tally);
      }
    };
  }
  return () => {
    const rows = [...tallies].sort((a, b) => b[1].ms - a[1].ms);
    const total = rows.reduce((sum, [, t]) => sum + t.ms, 0);
    const lines = rows.map(
      ([sql, t]) =>
        `${t.ms.toFixed(0).padStart(7)} ms ${String(t.calls).padStart(6)}× ${(t.ms / t.calls).toFixed(3).padStart(8)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 300)}`,
    );
    writeFileSync(file, `${[`total ${total.toFixed(0)} ms`, ...lines].join('\n')}\n`);
  };
}
