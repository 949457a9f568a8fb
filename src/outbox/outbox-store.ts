import { sql } from 'kysely';
import type { DialectName, Executor } from '../platform/db/database.js';
import type { OutboxAttemptsTable, OutboxMessagesTable } from '../platform/db/schema.js';

export const OUTBOX_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
export const OUTBOX_CHANNELS = ['email', 'webhook'] as const;
export type OutboxChannel = (typeof OUTBOX_CHANNELS)[number];

export interface OutboxMessage {
  id: string;
  channel: OutboxChannel;
  event_type: string;
  plane: string | null;
  /** The webhook endpoint it goes to (webhooks only). */
  endpoint_id: string | null;
  recipients: { user_id: string; email: string }[];
  subject_id: string | null;
  payload: Record<string, unknown>;
  status: OutboxStatus;
  /** Attempts started, the one in flight included. */
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  correlation_id: string | null;
  /** Set for a scheduled message that must exist once (a reminder). */
  dedupe_key: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** A message as claimed by a dispatcher: who held it before, if a lease ran out. */
export interface ClaimedMessage extends OutboxMessage {
  claimed_by: string;
  lease_until: string;
}

export interface OutboxAttempt {
  id: string;
  message_id: string;
  attempt: number;
  started_at: string;
  finished_at: string;
  outcome: 'delivered' | 'failed' | 'gone';
  status_code: number | null;
  error: string | null;
  instance: string;
}

export interface OutboxFilters {
  status?: OutboxStatus | undefined;
  channel?: OutboxChannel | undefined;
  event_type?: string | undefined;
  subject_id?: string | undefined;
  endpoint_id?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

function toRow(message: OutboxMessage): OutboxMessagesTable {
  return {
    ...message,
    recipients: JSON.stringify(message.recipients),
    payload: JSON.stringify(message.payload),
    claimed_by: null,
    lease_until: null,
  };
}

function toMessage(row: OutboxMessagesTable): OutboxMessage {
  const { claimed_by: _c, lease_until: _l, ...rest } = row;
  return {
    ...rest,
    channel: row.channel as OutboxChannel,
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    recipients: JSON.parse(row.recipients) as OutboxMessage['recipients'],
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

function toAttempt(row: OutboxAttemptsTable): OutboxAttempt {
  return {
    ...row,
    attempt: Number(row.attempt),
    outcome: row.outcome as OutboxAttempt['outcome'],
    status_code: row.status_code === null ? null : Number(row.status_code),
  };
}

/** Inserts the messages; one whose dedupe_key exists already is skipped. Answers the ids written. */
export async function insertMessages(db: Executor, messages: OutboxMessage[]): Promise<string[]> {
  if (messages.length === 0) return [];
  const plain = messages.filter((m) => m.dedupe_key === null);
  if (plain.length > 0) await db.insertInto('outbox_messages').values(plain.map(toRow)).execute();
  const written = plain.map((m) => m.id);
  for (const message of messages.filter((m) => m.dedupe_key !== null)) {
    const result = await db
      .insertInto('outbox_messages')
      .values(toRow(message))
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) written.push(message.id);
  }
  return written;
}

export async function findMessage(db: Executor, id: string): Promise<OutboxMessage | null> {
  const row = await db
    .selectFrom('outbox_messages')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toMessage(row) : null;
}

export async function listMessages(db: Executor, filters: OutboxFilters): Promise<OutboxMessage[]> {
  let query = db.selectFrom('outbox_messages').selectAll();
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.channel) query = query.where('channel', '=', filters.channel);
  if (filters.event_type) query = query.where('event_type', '=', filters.event_type);
  if (filters.subject_id) query = query.where('subject_id', '=', filters.subject_id);
  if (filters.endpoint_id) query = query.where('endpoint_id', '=', filters.endpoint_id);
  if (filters.afterId) query = query.where('id', '>', filters.afterId);
  const rows = await query.orderBy('id', 'asc').limit(filters.limit).execute();
  return rows.map(toMessage);
}

interface DueArgs {
  now: string;
  channels: readonly OutboxChannel[];
  onlyId?: string;
}

/** Ids of the messages due now (pending, time come, no live lease), oldest due first. */
function dueQuery(db: Executor, args: DueArgs) {
  return db
    .selectFrom('outbox_messages')
    .select('id')
    .where('status', '=', 'pending')
    .where('channel', 'in', args.channels)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', args.now)]))
    .where((eb) =>
      args.onlyId === undefined
        ? eb('next_attempt_at', '<=', args.now)
        : eb('id', '=', args.onlyId),
    )
    .orderBy('next_attempt_at')
    .orderBy('id');
}

/**
 * Whether anything is due, read without a transaction: an idle dispatcher asks this before
 * it opens a claim transaction (on SQLite, the database's one write lock).
 */
export async function anyDue(db: Executor, args: DueArgs): Promise<boolean> {
  if (args.channels.length === 0) return false;
  return (await dueQuery(db, args).limit(1).executeTakeFirst()) !== undefined;
}

/**
 * Claims up to `limit` due messages of the given channels for `instance` until `leaseUntil`,
 * counting the attempt it is about to make. A message is due when pending, its time has come
 * and nobody holds a live lease on it. On PostgreSQL the candidates are locked with SKIP
 * LOCKED, so instances claiming at once take disjoint sets; on SQLite the write lock
 * (BEGIN IMMEDIATE) serialises claimers. Call inside a transaction.
 */
export async function claimDue(
  trx: Executor,
  dialect: DialectName,
  args: {
    instance: string;
    now: string;
    leaseUntil: string;
    channels: readonly OutboxChannel[];
    limit: number;
    /** Only this message, due or not (a ping delivered at once). */
    onlyId?: string;
  },
): Promise<ClaimedMessage[]> {
  if (args.channels.length === 0 || args.limit <= 0) return [];
  let due = dueQuery(trx, args).limit(args.limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  const candidates = (await due.execute()).map((r) => r.id);
  if (candidates.length === 0) return [];
  // The previous holder, if its lease ran out: read before the claim overwrites it.
  const before = await trx
    .selectFrom('outbox_messages')
    .selectAll()
    .where('id', 'in', candidates)
    .execute();
  await trx
    .updateTable('outbox_messages')
    .set({
      claimed_by: args.instance,
      lease_until: args.leaseUntil,
      attempts: sql<number>`attempts + 1`,
    })
    .where('id', 'in', candidates)
    .execute();
  return before
    .sort((a, b) =>
      a.next_attempt_at === b.next_attempt_at
        ? a.id.localeCompare(b.id)
        : a.next_attempt_at.localeCompare(b.next_attempt_at),
    )
    .map((row) => ({
      ...toMessage(row),
      attempts: Number(row.attempts) + 1,
      // Who held it before (null when never claimed or released cleanly).
      claimed_by: row.claimed_by ?? '',
      lease_until: row.lease_until ?? '',
    }));
}

export async function insertAttempts(db: Executor, attempts: OutboxAttempt[]): Promise<void> {
  if (attempts.length === 0) return;
  await db.insertInto('outbox_attempts').values(attempts).execute();
}

export async function listAttempts(db: Executor, messageId: string): Promise<OutboxAttempt[]> {
  const rows = await db
    .selectFrom('outbox_attempts')
    .selectAll()
    .where('message_id', '=', messageId)
    .orderBy('attempt')
    .orderBy('id')
    .execute();
  return rows.map(toAttempt);
}

/** Marks claimed messages delivered, if `instance` still holds them. */
export async function markDelivered(
  db: Executor,
  instance: string,
  ids: string[],
  at: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('outbox_messages')
    .set({
      status: 'delivered',
      delivered_at: at,
      last_error: null,
      claimed_by: null,
      lease_until: null,
    })
    .where('id', 'in', ids)
    .where('claimed_by', '=', instance)
    .where('status', '=', 'pending')
    .execute();
}

/** Releases a claimed message after a failed attempt: due again at `next` or dead (null). */
export async function markFailed(
  db: Executor,
  instance: string,
  id: string,
  error: string,
  next: string | null,
): Promise<void> {
  await db
    .updateTable('outbox_messages')
    .set({
      status: next === null ? 'dead' : 'pending',
      next_attempt_at: next ?? sql<string>`next_attempt_at`,
      last_error: error,
      claimed_by: null,
      lease_until: null,
    })
    .where('id', '=', id)
    .where('claimed_by', '=', instance)
    .where('status', '=', 'pending')
    .execute();
}

/** A dead message due again now, its attempts kept (their history stays in outbox_attempts). */
export async function requeueDead(db: Executor, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('outbox_messages')
    .set({ status: 'pending', next_attempt_at: now, claimed_by: null, lease_until: null })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countByStatus(db: Executor): Promise<Record<OutboxStatus, number>> {
  const rows = await db
    .selectFrom('outbox_messages')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const counts: Record<OutboxStatus, number> = { pending: 0, delivered: 0, dead: 0 };
  for (const row of rows) counts[row.status as OutboxStatus] = Number(row.n);
  return counts;
}
