import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { beforeCommit, createDatabase } from './database.js';

describe('beforeCommit', () => {
  const database = createDatabase('sqlite::memory:');
  afterAll(() => database.close());

  it('runs hooks in order inside the transaction, after its work, before it commits', async () => {
    await sql`create table t (x text)`.execute(database.db);
    const order: string[] = [];
    await database.transaction(async (trx) => {
      beforeCommit(trx, async () => {
        order.push('first');
        await sql`insert into t values ('hook')`.execute(trx);
        beforeCommit(trx, async () => {
          order.push('added by a hook');
        });
      });
      beforeCommit(trx, async () => {
        order.push('second');
      });
      order.push('work');
    });
    expect(order).toEqual(['work', 'first', 'second', 'added by a hook']);
    const rows = await sql<{ x: string }>`select x from t`.execute(database.db);
    expect(rows.rows).toEqual([{ x: 'hook' }]);
  });

  it('runs no hook when the work fails, and refuses a transaction it did not open', async () => {
    let ran = false;
    await expect(
      database.transaction(async (trx) => {
        beforeCommit(trx, async () => {
          ran = true;
        });
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(ran).toBe(false);
    await expect(
      database.db.transaction().execute(async (trx) => beforeCommit(trx, async () => undefined)),
    ).rejects.toThrow(/Database.transaction/);
  });
});
