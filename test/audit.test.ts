import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/audit-log.js';
import { createDatabase } from '../src/platform/db/database.js';
import { dropAppendOnly } from '../src/platform/db/migrations/append-only.js';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp } from './test-app.js';

async function seedEvents(t: TestApp, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await t.container.audit.record(
      { actorId: 'system', roles: [], correlationId: `seed-${i}` },
      {
        type: 'test.event',
        subject: `s${i}`,
        data: { i, note: 'ünïcödé ✓', nested: { b: 2, a: 1 } },
      },
    );
  }
}

describe.each(dbKinds)('audit log on %s', (kind) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(kind);
  });
  afterEach(async () => t.close());

  const raw = () => t.container.database.db;
  const verify = async () =>
    (await t.call({ method: 'GET', url: '/api/v1/audit/verify' })).json() as {
      ok: boolean;
      first_bad: { seq: number; reason: string; message: string } | null;
      events_checked: number;
    };

  it('chains every state change and verifies an untouched log', async () => {
    await t.user(['submitter']);
    await seedEvents(t, 5);
    const result = await verify();
    expect(result).toMatchObject({ ok: true, first_bad: null });
    expect(result.events_checked).toBeGreaterThanOrEqual(9);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    await seedEvents(t, 2);
    await expect(
      sql`update audit_events set actor = 'mallory' where seq = 1`.execute(raw()),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events where seq = 1`.execute(raw())).rejects.toThrow(
      /append-only/,
    );
    if (kind === 'postgres') {
      await expect(sql`truncate audit_events`.execute(raw())).rejects.toThrow(/append-only/);
    }
    await expect(
      sql`update audit_checkpoints set hash = 'x'`.execute(raw()),
    ).resolves.toBeDefined(); // no rows yet: nothing to refuse
    await t.container.audit.checkpoint();
    await expect(sql`delete from audit_checkpoints`.execute(raw())).rejects.toThrow(/append-only/);
  });

  it('names the first edited event', async () => {
    await seedEvents(t, 6);
    await dropAppendOnly(raw(), t.container.database.dialect, 'audit_events');
    await sql`update audit_events set data = ${'{"i":99}'} where seq = 5`.execute(raw());
    await sql`update audit_events set actor = 'mallory' where seq = 7`.execute(raw());
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.first_bad).toMatchObject({ seq: 5, reason: 'edited' });
  });

  it('names a deleted event', async () => {
    await seedEvents(t, 6);
    await dropAppendOnly(raw(), t.container.database.dialect, 'audit_events');
    await sql`delete from audit_events where seq = 4`.execute(raw());
    expect((await verify()).first_bad).toMatchObject({ seq: 4, reason: 'deleted' });
  });

  it('names reordered events', async () => {
    await seedEvents(t, 6);
    await dropAppendOnly(raw(), t.container.database.dialect, 'audit_events');
    await sql`update audit_events set seq = -3 where seq = 3`.execute(raw());
    await sql`update audit_events set seq = 3 where seq = 4`.execute(raw());
    await sql`update audit_events set seq = 4 where seq = -3`.execute(raw());
    expect((await verify()).first_bad).toMatchObject({ seq: 3, reason: 'reordered' });
  });

  it('detects truncation past the last signed checkpoint, and a rewritten head', async () => {
    await seedEvents(t, 6);
    const checkpoint = await t.container.audit.checkpoint();
    expect(checkpoint?.seq).toBe(8); // 2 bootstrap events + 6
    expect(await t.container.audit.checkpoint()).toBeNull(); // already covered
    await dropAppendOnly(raw(), t.container.database.dialect, 'audit_events');
    await sql`delete from audit_events where seq >= 7`.execute(raw());
    expect((await verify()).first_bad).toMatchObject({ seq: 7, reason: 'truncated' });
  });

  it('detects a wholesale rewrite against the signed checkpoint', async () => {
    await seedEvents(t, 3);
    await t.container.audit.checkpoint();
    await dropAppendOnly(raw(), t.container.database.dialect, 'audit_events');
    // Recompute a consistent chain with different content: only the checkpoint catches it.
    const { hashEvent } = await import('../src/audit/chain.js');
    const rows = await raw().selectFrom('audit_events').selectAll().orderBy('seq').execute();
    let prev = '0'.repeat(64);
    for (const row of rows) {
      const forged = { ...row, seq: Number(row.seq), actor: 'mallory', prev_hash: prev };
      const hash = hashEvent(forged);
      await sql`update audit_events set actor = 'mallory', prev_hash = ${prev}, hash = ${hash} where seq = ${row.seq}`.execute(
        raw(),
      );
      prev = hash;
    }
    // The checkpoint covers the head (2 bootstrap events + 3).
    expect((await verify()).first_bad).toMatchObject({ seq: 5, reason: 'checkpoint_mismatch' });
  });

  it('lists events with filters and cursor pagination', async () => {
    await seedEvents(t, 7);
    const page1 = await t.call({
      method: 'GET',
      url: '/api/v1/audit/events?type=test.event&limit=3&order=asc',
    });
    expect(page1.statusCode).toBe(200);
    const body = page1.json();
    expect(body.events).toHaveLength(3);
    expect(body.events[0].data).toEqual({ i: 0, note: 'ünïcödé ✓', nested: { a: 1, b: 2 } });
    const page2 = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?type=test.event&limit=3&order=asc&cursor=${body.next_cursor}`,
    });
    expect(page2.json().events[0].data.i).toBe(3);
    const page3 = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?type=test.event&limit=3&order=asc&cursor=${page2.json().next_cursor}`,
    });
    expect(page3.json().events).toHaveLength(1);
    expect(page3.json().next_cursor).toBeNull();

    // Newest first by default, paged the other way with the same kind of cursor.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.call({
        method: 'GET',
        url: `/api/v1/audit/events?type=test.event&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(page.statusCode).toBe(200);
      seen.push(...page.json().events.map((e: { data: { i: number } }) => e.data.i));
      cursor = page.json().next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
    const bad = await t.call({ method: 'GET', url: '/api/v1/audit/events?order=up' });
    expect(bad.statusCode).toBe(400);

    const bySubject = await t.call({ method: 'GET', url: '/api/v1/audit/events?subject=s2' });
    expect(bySubject.json().events.map((e: { subject: string }) => e.subject)).toEqual(['s2']);
    const byCorrelation = await t.call({
      method: 'GET',
      url: '/api/v1/audit/events?correlation_id=seed-4',
    });
    expect(byCorrelation.json().events).toHaveLength(1);
    const byActor = await t.call({ method: 'GET', url: '/api/v1/audit/events?actor=system' });
    expect(byActor.json().events.length).toBeGreaterThanOrEqual(7);
    const now = t.clock.now();
    const inRange = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?from=${new Date(now.getTime() - 1000).toISOString()}&to=${new Date(now.getTime() + 1000).toISOString()}`,
    });
    expect(inRange.json().events.length).toBeGreaterThan(0);
    const future = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?from=${new Date(now.getTime() + 60_000).toISOString()}`,
    });
    expect(future.json().events).toHaveLength(0);
    const badCursor = await t.call({ method: 'GET', url: '/api/v1/audit/events?cursor=zzz' });
    expect(badCursor.statusCode).toBe(400);
    const checkpoints = await t.call({ method: 'GET', url: '/api/v1/audit/checkpoints' });
    expect(checkpoints.json()).toEqual({ checkpoints: [] });
  });

  it('records refusals (401, 403, rejected changes) with the correlation id', async () => {
    const viewer = await t.user(['auditor']);
    await t.call({
      method: 'GET',
      url: '/api/v1/me',
      as: null,
      headers: { 'x-correlation-id': 'corr-401' },
    });
    await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: viewer,
      payload: { email: 'x@example.org', display_name: 'X', roles: [] },
      headers: { 'x-correlation-id': 'corr-403' },
    });
    await t.call({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'not-an-email', display_name: 'X', roles: [], status: 'approved' },
      headers: { 'x-correlation-id': 'corr-400' },
    });
    const events = async (id: string) =>
      (await t.call({ method: 'GET', url: `/api/v1/audit/events?correlation_id=${id}` })).json()
        .events;
    expect(await events('corr-401')).toMatchObject([
      // The first anonymous refusal from this source: the rest of its window is only counted.
      {
        event_type: 'request.refused.anonymous',
        actor: 'anonymous',
        data: { first: { status: 401 } },
      },
    ]);
    expect(await events('corr-403')).toMatchObject([
      { event_type: 'request.refused', actor: viewer.id, data: { status: 403 } },
    ]);
    expect(await events('corr-400')).toMatchObject([
      { event_type: 'request.refused', data: { status: 400 } },
    ]);
    // Nothing but the refusal was written.
    const users = await t.call({ method: 'GET', url: '/api/v1/users?limit=500' });
    expect(JSON.stringify(users.json())).not.toContain('x@example.org');
  });

  it('keeps one unbroken chain under 50 concurrent writers, each on its own connection', async () => {
    // A pool as large as the writers, so all 50 transactions are open at once on PostgreSQL.
    const wide = createDatabase(t.database.url, { poolSize: 50 });
    const audit = new AuditLog(wide, t.clock, t.container.signingKey);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        wide.transaction(async (trx) => {
          await audit.append(
            trx,
            { actorId: `writer-${i}`, roles: [], correlationId: null },
            { type: 'test.concurrent', data: { i } },
          );
          // Hold the transaction open a moment so writers genuinely overlap.
          await sql`select 1`.execute(trx);
        }),
      ),
    );
    await wide.close();
    const result = await verify();
    expect(result.ok).toBe(true);
    const seqs = (
      await raw().selectFrom('audit_events').select('seq').orderBy('seq').execute()
    ).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const concurrent = await raw()
      .selectFrom('audit_events')
      .select('actor')
      .where('event_type', '=', 'test.concurrent')
      .execute();
    expect(new Set(concurrent.map((r) => r.actor)).size).toBe(50);
  });
});
