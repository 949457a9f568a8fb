import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Channel, DeliveryResult } from '../src/outbox/channel.js';
import { Dispatcher } from '../src/outbox/dispatcher.js';
import type { OutboxMessage } from '../src/outbox/outbox.js';
import { MAX_ATTEMPTS } from '../src/outbox/retry-schedule.js';
import { systemContext } from '../src/platform/context.js';
import { createDatabase, type Database, LOCKS } from '../src/platform/db/database.js';
import { runExclusive } from '../src/platform/db/exclusive.js';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp } from './test-app.js';

const HOUR_MS = 3_600_000;

/**
 * A channel that records what it was given and answers what the test scripted: a fake of the
 * receiving side (the real SMTP and HTTP channels have tests of their own against real
 * receivers). `hold` parks deliveries until released, as a receiver that takes its time.
 */
class ScriptedChannel implements Channel {
  readonly name = 'email' as const;
  readonly enabled = true;
  readonly seen: string[] = [];
  readonly gone: string[] = [];
  script: (message: OutboxMessage, attempt: number) => DeliveryResult = () => ({
    outcome: 'delivered',
  });
  hold: Promise<void> | null = null;

  async deliver(message: OutboxMessage): Promise<DeliveryResult> {
    this.seen.push(message.id);
    if (this.hold) await this.hold;
    return this.script(message, this.seen.filter((id) => id === message.id).length);
  }

  async onGone(message: OutboxMessage): Promise<void> {
    this.gone.push(message.id);
  }
}

describe.each(dbKinds)('outbox dispatcher on %s', (kind) => {
  let t: TestApp;
  let channel: ScriptedChannel;
  let dispatcher: Dispatcher;

  const enqueue = (count: number, eventType = 'test.event') =>
    t.container.database.transaction(async (trx) => {
      for (let i = 0; i < count; i++) {
        await t.container.outbox.enqueue(trx, systemContext(), {
          channel: 'email',
          event_type: eventType,
          recipients: [{ user_id: 'u1', email: 'ann@example.org' }],
          payload: { n: i },
        });
      }
    });
  const messages = (eventType: string) =>
    t.container.outbox.list({ event_type: eventType, limit: 500 });

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    // Each test starts with nothing due: what an earlier one left pending is delivered now.
    t.clock.advance(25 * HOUR_MS);
    await new Dispatcher({
      database: t.container.database,
      clock: t.clock,
      channels: [new ScriptedChannel()],
    }).drain();
    channel = new ScriptedChannel();
    dispatcher = new Dispatcher({
      database: t.container.database,
      clock: t.clock,
      channels: [channel],
      options: { instance: 'test-a', random: () => 0 },
    });
  });

  it('delivers what is due, records the attempt, and shows it through the API', async () => {
    await enqueue(3, 'ok.event');
    const summary = await dispatcher.drain();
    expect(summary).toEqual({ delivered: 3, failed: 0, dead: 0 });
    const [first] = await messages('ok.event');
    expect(first).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
    const detail = await t.call({ method: 'GET', url: `/api/v1/outbox/${first!.id}` });
    expect(detail.statusCode).toBe(200);
    expect(detail.json().attempt_log).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'delivered', instance: 'test-a' }),
    ]);
    // Nothing is due any more: a second drain delivers nothing twice.
    expect(await dispatcher.drain()).toEqual({ delivered: 0, failed: 0, dead: 0 });
    expect(channel.seen).toHaveLength(3);
  });

  it('retries a failure on the schedule and honours a longer Retry-After', async () => {
    channel.script = (_m, attempt) =>
      attempt === 1
        ? { outcome: 'failed', error: 'HTTP 503: busy', statusCode: 503, retryAfterMs: 60_000 }
        : { outcome: 'delivered' };
    await enqueue(1, 'retry.event');
    expect(await dispatcher.drain()).toEqual({ delivered: 0, failed: 1, dead: 0 });
    const [failed] = await messages('retry.event');
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 503: busy' });
    // Retry-After 60 s beats the schedule's 5 s.
    expect(Date.parse(failed!.next_attempt_at) - t.clock.now().getTime()).toBe(60_000);
    t.clock.advance(30_000);
    expect(await dispatcher.drain()).toEqual({ delivered: 0, failed: 0, dead: 0 });
    t.clock.advance(30_000);
    expect(await dispatcher.drain()).toEqual({ delivered: 1, failed: 0, dead: 0 });
    const attempts = await t.container.outbox.attempts(failed!.id);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [1, 'failed', 503],
      [2, 'delivered', null],
    ]);
  });

  it('gives up after the last attempt of the schedule, and an admin can queue it again', async () => {
    channel.script = () => ({ outcome: 'failed', error: 'connection refused' });
    await enqueue(1, 'dead.event');
    let dead = 0;
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      dead += (await dispatcher.drain()).dead;
      t.clock.advance(25 * HOUR_MS);
    }
    expect(dead).toBe(1);
    const [message] = await messages('dead.event');
    expect(message).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
    expect(await t.container.outbox.attempts(message!.id)).toHaveLength(MAX_ATTEMPTS);

    const listed = await t.call({ method: 'GET', url: '/api/v1/outbox?status=dead' });
    expect(listed.json().messages.map((m: OutboxMessage) => m.id)).toContain(message!.id);
    const retried = await t.call({ method: 'POST', url: `/api/v1/outbox/${message!.id}/retry` });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'pending', attempts: MAX_ATTEMPTS });
    const again = await t.call({ method: 'POST', url: `/api/v1/outbox/${message!.id}/retry` });
    expect(again.statusCode).toBe(409);
    expect(again.json().reason).toBe('not_dead');
    const events = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?type=outbox.message.retried&subject=${message!.id}`,
    });
    expect(events.json().events).toHaveLength(1);
    channel.script = () => ({ outcome: 'delivered' });
    expect(await dispatcher.drain()).toEqual({ delivered: 1, failed: 0, dead: 0 });
    const missing = await t.call({ method: 'POST', url: '/api/v1/outbox/nope/retry' });
    expect(missing.statusCode).toBe(404);
  });

  it('a permanent failure and a 410 are dead at once; a 410 tells the channel', async () => {
    channel.script = (m) =>
      (m.payload as { n: number }).n === 0
        ? { outcome: 'failed', error: 'endpoint deleted', permanent: true }
        : { outcome: 'gone', error: 'HTTP 410', statusCode: 410 };
    await enqueue(2, 'final.event');
    expect(await dispatcher.drain()).toEqual({ delivered: 0, failed: 0, dead: 2 });
    const listed = await messages('final.event');
    expect(listed.map((m) => m.status)).toEqual(['dead', 'dead']);
    expect(channel.gone).toEqual([listed[1]!.id]);
  });

  it('a channel that throws is a failed attempt, not a crash', async () => {
    channel.script = () => {
      throw new Error('boom\nwith a second line');
    };
    await enqueue(1, 'throw.event');
    expect(await dispatcher.drain()).toEqual({ delivered: 0, failed: 1, dead: 0 });
    const [message] = await messages('throw.event');
    expect(message!.last_error).toBe('Error: boom with a second line');
  });

  it('after a holder dies mid-delivery, its lease runs out and another delivers, the lost attempt on record', async () => {
    let release!: () => void;
    channel.hold = new Promise((resolve) => {
      release = resolve;
    });
    await enqueue(1, 'lease.event');
    // Instance A claims and never comes back (its delivery hangs: as good as killed).
    const parked = dispatcher.drain();
    await vi.waitFor(() => expect(channel.seen).toHaveLength(1));
    const other = new ScriptedChannel();
    const b = new Dispatcher({
      database: t.container.database,
      clock: t.clock,
      channels: [other],
      options: { instance: 'test-b', leaseMs: 60_000 },
    });
    // Within the lease, B leaves it alone.
    expect(await b.drain()).toEqual({ delivered: 0, failed: 0, dead: 0 });
    t.clock.advance(121_000);
    expect(await b.drain()).toEqual({ delivered: 1, failed: 0, dead: 0 });
    const [message] = await messages('lease.event');
    expect(message).toMatchObject({ status: 'delivered', attempts: 2 });
    const log = await t.container.outbox.attempts(message!.id);
    expect(log.map((a) => [a.attempt, a.outcome, a.instance])).toEqual([
      [1, 'failed', 'test-b'],
      [2, 'delivered', 'test-b'],
    ]);
    expect(log[0]!.error).toMatch(/^abandoned: test-a held the message until/);
    // A wakes up late: its attempt is recorded, the message's state is not overwritten.
    release();
    await parked;
    const after = await t.container.outbox.get(message!.id);
    expect(after).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(await t.container.outbox.attempts(message!.id)).toHaveLength(3);
  });

  it('running, it delivers what is enqueued without being asked, and stops cleanly', async () => {
    const stopWaking = t.container.outbox.onEnqueued(() => dispatcher.wake());
    dispatcher.start();
    try {
      await enqueue(20, 'loop.event');
      await vi.waitFor(async () => {
        expect((await messages('loop.event')).every((m) => m.status === 'delivered')).toBe(true);
      });
    } finally {
      stopWaking();
      await dispatcher.stop();
    }
    expect(channel.seen).toHaveLength(20);
  });

  it('a message is delivered now on request (the webhook ping), and only once', async () => {
    await enqueue(1, 'now.event');
    const [message] = await messages('now.event');
    const attempt = await dispatcher.deliverNow(message!.id);
    expect(attempt).toMatchObject({ attempt: 1, outcome: 'delivered' });
    expect(await dispatcher.deliverNow(message!.id)).toBeNull();
  });

  it('two dispatchers draining at once deliver each message exactly once', async () => {
    await enqueue(200, 'race.event');
    // Two connections pools on PostgreSQL, as two server processes would have.
    const second: Database = createDatabase(t.database.url);
    try {
      const other = new ScriptedChannel();
      const b = new Dispatcher({
        database: kind === 'postgres' ? second : t.container.database,
        clock: t.clock,
        channels: [other],
        options: { instance: 'test-b', batchSize: 10 },
      });
      const a = new Dispatcher({
        database: t.container.database,
        clock: t.clock,
        channels: [channel],
        options: { instance: 'test-a', batchSize: 10 },
      });
      const [x, y] = await Promise.all([a.drain(), b.drain()]);
      expect(x.delivered + y.delivered).toBe(200);
      const ids = [...channel.seen, ...other.seen];
      expect(new Set(ids).size).toBe(200);
      expect(ids).toHaveLength(200);
    } finally {
      await second.close();
    }
  });

  it('a sweep section runs on one instance at a time', async () => {
    const second: Database = createDatabase(t.database.url);
    try {
      let inside = 0;
      let most = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const work = async () => {
        inside++;
        most = Math.max(most, inside);
        await gate;
        inside--;
      };
      const first = runExclusive(t.container.database, LOCKS.sweepExceptionExpiry, work);
      await vi.waitFor(() => expect(inside).toBe(1));
      const db = kind === 'postgres' ? second : t.container.database;
      expect(await runExclusive(db, LOCKS.sweepExceptionExpiry, work)).toEqual({ ran: false });
      release();
      expect(await first).toEqual({ ran: true, result: undefined });
      expect(most).toBe(1);
      // Released: the next run goes ahead.
      expect(await runExclusive(db, LOCKS.sweepExceptionExpiry, async () => 7)).toEqual({
        ran: true,
        result: 7,
      });
    } finally {
      await second.close();
    }
  });
});
