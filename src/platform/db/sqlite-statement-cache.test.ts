import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { withStatementCache } from './sqlite-dialect.js';

describe('withStatementCache', () => {
  const connection = new SqliteDatabase(':memory:');

  it('hands back the kept statement for the same SQL, and evicts the least recently used', () => {
    const cache = withStatementCache(connection, 2);
    const a = cache.prepare('select 1 as n');
    expect(cache.prepare('select 1 as n')).toBe(a);
    const b = cache.prepare('select 2 as n');
    // Touching a leaves b the least recently used, so the third statement evicts b.
    expect(cache.prepare('select 1 as n')).toBe(a);
    cache.prepare('select 3 as n');
    expect(cache.prepare('select 1 as n')).toBe(a);
    expect(cache.prepare('select 2 as n')).not.toBe(b);
  });

  it('prepares a statement of its own while the kept one is being iterated', () => {
    const cache = withStatementCache(connection);
    const sql = 'select value from json_each(?)';
    const first = cache.prepare(sql);
    const rows: number[] = [];
    for (const row of first.iterate('[1,2]') as Iterable<{ value: number }>) {
      const inner = cache.prepare(sql);
      expect(inner).not.toBe(first);
      rows.push(row.value, ...(inner.all('[10]') as { value: number }[]).map((r) => r.value));
    }
    expect(rows).toEqual([1, 10, 2, 10]);
    expect(cache.prepare(sql)).toBe(first);
  });

  it('closes the connection', () => {
    const own = new SqliteDatabase(':memory:');
    withStatementCache(own).close();
    expect(own.open).toBe(false);
  });
});
