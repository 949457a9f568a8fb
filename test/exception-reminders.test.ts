import { sql } from 'kysely';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Container, createContainer } from '../src/composition-root.js';
import {
  dueThreshold,
  normaliseThresholds,
  reminderKey,
  reminderRecipients,
} from '../src/exceptions/exception-reminders.js';
import { DAY_MS } from '../src/exceptions/exception-rules.js';
import { ExceptionService } from '../src/exceptions/index.js';
import { EmailChannel } from '../src/notify/email-channel.js';
import type { OutboxMessage } from '../src/outbox/outbox-store.js';
import { systemContext } from '../src/platform/context.js';
import { dbKinds } from './databases.js';
import { createIntent, exampleIntent } from './intake-fixtures.js';
import { startTestApp, type TestApp, type TestUser, testSigningKey } from './test-app.js';

const HOUR_MS = 3_600_000;

describe('exception reminders, the pure part', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();

  it('picks the smallest threshold passed, none before the largest or after expiry', () => {
    const t = [7, 1];
    expect(dueThreshold(at(7 * DAY_MS + 1), now, t)).toBeNull();
    expect(dueThreshold(at(7 * DAY_MS), now, t)).toBe(7);
    expect(dueThreshold(at(3 * DAY_MS), now, t)).toBe(7);
    expect(dueThreshold(at(DAY_MS + 1), now, t)).toBe(7);
    expect(dueThreshold(at(DAY_MS), now, t)).toBe(1);
    expect(dueThreshold(at(1), now, t)).toBe(1);
    expect(dueThreshold(at(0), now, t)).toBeNull();
    expect(dueThreshold(at(-DAY_MS), now, t)).toBeNull();
    expect(dueThreshold('not a date', now, t)).toBeNull();
    expect(dueThreshold(at(DAY_MS), now, [])).toBeNull();
    // Order does not matter to the choice.
    expect(dueThreshold(at(2 * DAY_MS), now, [1, 30, 7])).toBe(7);
  });

  it('normalises thresholds and refuses what is not a positive whole day', () => {
    expect(normaliseThresholds([1, 7, 7, 30])).toEqual([30, 7, 1]);
    expect(normaliseThresholds([])).toEqual([]);
    expect(() => normaliseThresholds([0])).toThrow(/positive whole days; got 0/);
    expect(() => normaliseThresholds([1.5])).toThrow(/1.5/);
  });

  it('keys one reminder per exception and threshold', () => {
    expect(reminderKey('0190-x', 7)).toBe('exception.expiring:0190-x:7d');
  });

  it('sends to the requester first, then reviewers, each once, never a disabled requester', () => {
    const reviewers = [
      { user_id: 'r1', email: 'r1@x' },
      { user_id: 'a', email: 'a@x' },
    ];
    expect(reminderRecipients({ id: 'a', email: 'a@x' }, reviewers)).toEqual([
      { user_id: 'a', email: 'a@x' },
      { user_id: 'r1', email: 'r1@x' },
    ]);
    expect(reminderRecipients({ id: 'b', email: 'b@x', disabled: true }, reviewers)).toEqual(
      reviewers,
    );
    expect(reminderRecipients(null, [])).toEqual([]);
  });
});

describe.each(dbKinds)('exception reminders on %s', (kind) => {
  let t: TestApp;
  let ann: TestUser;
  let rev: TestUser;
  let rita: TestUser;
  let sha: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    ann = await t.user(['submitter']);
    rev = await t.user(['security_reviewer']);
    rita = await t.user(['security_reviewer']);
    sha = (await createIntent(t, ann)).artifactSha256;
  });
  afterAll(async () => t.close());

  /** Requested by `as` and approved by rev, expiring `inMs` from now. */
  async function approvedException(inMs: number, as: TestUser = ann): Promise<string> {
    const requested = await t.call({
      method: 'POST',
      url: '/api/v1/exceptions',
      as,
      payload: {
        exception_type: 'vuln_critical',
        scope: { artifact_sha256: sha, finding_ids: ['CVE-2024-3094|xz-utils|5.6.0'] },
        description: 'the affected sshd path is not shipped <b>here</b>',
        compensating_controls: 'sshd disabled by baseline GPO',
        expires_at: new Date(t.clock.now().getTime() + inMs).toISOString(),
      },
    });
    expect(requested.statusCode, requested.body).toBe(201);
    const id = requested.json<{ id: string }>().id;
    const approved = await t.call({
      method: 'POST',
      url: `/api/v1/exceptions/${id}/approve`,
      as: rev,
      payload: { verification_steps: 'GPO report reviewed' },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    return id;
  }

  const expiresAtOf = async (id: string) =>
    Date.parse((await t.container.exceptions.get(id)).expires_at);
  /** Moves the clock to `leftMs` before the exception's expiry. */
  const leaveBefore = async (id: string, leftMs: number) =>
    t.clock.set(new Date((await expiresAtOf(id)) - leftMs));

  const reminders = (id: string): Promise<OutboxMessage[]> =>
    t.container.outbox.list({ event_type: 'exception.expiring', subject_id: id, limit: 100 });
  const keysOf = async (ids: string[]) =>
    (await Promise.all(ids.map(reminders))).flat().map((m) => m.dedupe_key);
  const allReminders = async () =>
    (await t.container.outbox.list({ event_type: 'exception.expiring', limit: 1_000 })).length;
  const emails = (m: OutboxMessage) => m.recipients.map((r) => r.email).sort();

  it('sends the 7-day reminder once, then the 1-day one once, then nothing', async () => {
    const id = await approvedException(10 * DAY_MS);
    const sweep = () => t.container.exceptions.remindExpiring();

    await sweep();
    expect(await reminders(id)).toEqual([]);

    await leaveBefore(id, 7 * DAY_MS - HOUR_MS);
    await sweep();
    await sweep();
    const first = await reminders(id);
    expect(first.map((m) => m.dedupe_key)).toEqual([reminderKey(id, 7)]);
    expect(first[0]).toMatchObject({
      channel: 'email',
      status: 'pending',
      payload: { threshold_days: 7, days_left: 6, exception: { id, status: 'approved' } },
    });
    expect(emails(first[0]!)).toEqual([ann.email, rev.email, rita.email].sort());
    // The requester first: it is their exception.
    expect(first[0]!.recipients[0]).toEqual({ user_id: ann.id, email: ann.email });

    await leaveBefore(id, 2 * DAY_MS);
    await sweep();
    expect(await reminders(id)).toHaveLength(1);

    await leaveBefore(id, DAY_MS - HOUR_MS);
    await sweep();
    await sweep();
    expect(await keysOf([id])).toEqual([reminderKey(id, 7), reminderKey(id, 1)]);
    expect((await reminders(id))[1]!.payload).toMatchObject({ threshold_days: 1, days_left: 0 });

    await leaveBefore(id, -HOUR_MS);
    await sweep();
    expect(await reminders(id)).toHaveLength(2);
  });

  it('sends only the 1-day reminder for an exception approved with less than a day left', async () => {
    const id = await approvedException(20 * HOUR_MS);
    await t.container.exceptions.remindExpiring();
    await leaveBefore(id, HOUR_MS);
    await t.container.exceptions.remindExpiring();
    expect(await keysOf([id])).toEqual([reminderKey(id, 1)]);
  });

  it('does not remind of a revoked exception', async () => {
    const id = await approvedException(3 * DAY_MS);
    const revoked = await t.call({
      method: 'POST',
      url: `/api/v1/exceptions/${id}/revoke`,
      as: rita,
      payload: { reason: 'sshd is back' },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    await t.container.exceptions.remindExpiring();
    expect(await reminders(id)).toEqual([]);
  });

  it('writes exactly one message per threshold when two sweeps run at once', async () => {
    const ids = [
      await approvedException(5 * DAY_MS),
      await approvedException(5 * DAY_MS + HOUR_MS),
      await approvedException(5 * DAY_MS + 2 * HOUR_MS),
      await approvedException(5 * DAY_MS + 3 * HOUR_MS),
    ];
    // PostgreSQL: a second container (its own pool) over the same database, racing for
    // real. SQLite: the same container twice at once (one connection serialises the
    // transactions; two connections in one process would only spin on the busy lock).
    const other: Container | null =
      kind === 'postgres'
        ? await createContainer(t.container.config, {
            clock: t.clock,
            signingKey: testSigningKey(),
            migrate: false,
          })
        : null;
    try {
      const second = other ?? t.container;
      const race = async () => {
        const runs = await Promise.all([
          t.container.exceptions.remindExpiring(),
          second.exceptions.remindExpiring(),
          t.container.exceptions.remindExpiring(),
          second.exceptions.remindExpiring(),
        ]);
        return runs.reduce((sum, n) => sum + n, 0);
      };
      const before = await allReminders();
      const written = await race();
      const sevenDay = await keysOf(ids);
      expect(sevenDay.sort()).toEqual(ids.map((id) => reminderKey(id, 7)).sort());
      // What the sweeps say they wrote is what exists: none counted a skipped duplicate.
      expect(written).toBe((await allReminders()) - before);
      expect(written).toBe(ids.length);

      // Less than a day left for every one of them.
      await leaveBefore(ids[0]!, HOUR_MS);
      const beforeOneDay = await allReminders();
      expect(await race()).toBe((await allReminders()) - beforeOneDay);
      const all = await keysOf(ids);
      expect(all.sort()).toEqual(
        ids.flatMap((id) => [reminderKey(id, 7), reminderKey(id, 1)]).sort(),
      );
    } finally {
      await other?.close();
    }
  });

  it.runIf(kind === 'postgres')(
    'lets the unique key decide when a sweep meets another instance holding the reminder uncommitted',
    async () => {
      const id = await approvedException(2 * DAY_MS);
      const other = await createContainer(t.container.config, {
        clock: t.clock,
        signingKey: testSigningKey(),
        migrate: false,
      });
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let entered!: () => void;
        const inside = new Promise<void>((resolve) => {
          entered = resolve;
        });
        // Another instance's sweep: it has written the 7-day reminder and not committed yet.
        const first = t.container.database.transaction(async (trx) => {
          const n = await t.container.outbox.enqueue(trx, systemContext(), {
            channel: 'email',
            event_type: 'exception.expiring',
            recipients: [{ user_id: rev.id, email: rev.email }],
            subject_id: id,
            dedupe_key: reminderKey(id, 7),
            payload: { from: 'the other instance' },
          });
          entered();
          await held;
          return n;
        });
        await inside;
        const second = other.exceptions.remindExpiring();
        // Until the second sweep waits on the key the first one holds.
        while (
          Number(
            (
              await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'`.execute(
                t.container.database.db,
              )
            ).rows[0]?.n,
          ) === 0
        ) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        release();
        expect(await first).toHaveLength(1);
        await second;
        const [only, ...rest] = await reminders(id);
        expect(rest).toEqual([]);
        expect(only).toMatchObject({
          dedupe_key: reminderKey(id, 7),
          payload: { from: 'the other instance' },
        });
      } finally {
        await other.close();
      }
    },
  );

  it('takes the thresholds from its deps (CABINET_EXCEPTION_REMINDER_DAYS)', async () => {
    const c = t.container;
    const withDays = (reminderDays: number[]) =>
      new ExceptionService({
        database: c.database,
        clock: t.clock,
        audit: c.audit,
        outbox: c.outbox,
        people: c.identity,
        lapses: { lapsed: (trx, ctx, id, code) => c.cab.markStale(trx, ctx, id, code) },
        artifacts: c.artifacts,
        owners: c.intents,
        maxDays: c.config.exceptionMaxDays,
        reminderDays,
      });
    const id = await approvedException(40 * DAY_MS);
    await leaveBefore(id, 29 * DAY_MS);
    await c.exceptions.remindExpiring();
    await withDays([]).remindExpiring();
    expect(await reminders(id)).toEqual([]);
    await withDays([3, 30]).remindExpiring();
    await leaveBefore(id, 2 * DAY_MS);
    await withDays([30, 3]).remindExpiring();
    expect(await keysOf([id])).toEqual([reminderKey(id, 30), reminderKey(id, 3)]);
  });

  it('leaves disabled users out, requester and reviewers alike', async () => {
    const carl = await t.user(['submitter']);
    // Exceptions are requested by an owner of an intent deploying the artifact.
    const declared = await t.call({
      method: 'POST',
      url: '/api/v1/intents',
      payload: exampleIntent(sha),
      as: carl,
    });
    expect(declared.statusCode, declared.body).toBe(201);
    const id = await approvedException(3 * DAY_MS, carl);
    for (const user of [carl, rita]) {
      const res = await t.call({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        payload: { disabled: true },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    try {
      await t.container.exceptions.remindExpiring();
      const [reminder] = await reminders(id);
      expect(reminder && emails(reminder)).toEqual([rev.email]);
    } finally {
      await t.call({
        method: 'PATCH',
        url: `/api/v1/users/${rita.id}`,
        payload: { disabled: false },
      });
      // Disabling revoked rita's tokens for good: she gets a new one.
      const issued = await t.call({
        method: 'POST',
        url: '/api/v1/tokens',
        payload: { user_id: rita.id, name: 'after re-enabling' },
      });
      expect(issued.statusCode, issued.body).toBe(201);
      rita.token = issued.json<{ token: string }>().token;
    }
  });

  it('delivers a reminder through the email channel to a real SMTP receiver', async () => {
    const received: { rcptTo: string[]; mail: ParsedMail }[] = [];
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            received.push({ rcptTo: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    const email = new EmailChannel({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: t.container.config.mailFrom,
      publicUrl: 'https://cabinet.example.org',
    });
    try {
      const id = await approvedException(6 * DAY_MS);
      await t.container.exceptions.remindExpiring();
      const [reminder] = await reminders(id);
      expect(await email.deliver(reminder!)).toEqual({ outcome: 'delivered', statusCode: 250 });
      const got = received.at(-1)!;
      expect(got.rcptTo.sort()).toEqual([ann.email, rev.email, rita.email].sort());
      const to = got.mail.to as AddressObject;
      expect(to.value.map((v) => v.address).sort()).toEqual(got.rcptTo);
      expect(got.mail.subject).toBe(
        `[cabinet] Exception expires within 7 days: vuln_critical for artifact ${sha.slice(0, 11)}… — exception ${id}`,
      );
      expect(got.mail.messageId).toBe(`<${reminder!.id}@cabinet.cabinet.example.org>`);
      expect(got.mail.text).toContain(`https://cabinet.example.org/exceptions/${id}`);
      expect(got.mail.html).toContain(`href="https://cabinet.example.org/exceptions/${id}"`);
      expect(got.mail.html).toContain('not shipped &lt;b&gt;here&lt;/b&gt;');
      expect(got.mail.from?.value).toEqual([{ name: 'cabinet', address: 'cabinet@localhost' }]);
    } finally {
      await email.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
