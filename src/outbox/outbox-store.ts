import type { Executor } from '../platform/db/database.js';
import type { OutboxMessagesTable } from '../platform/db/schema.js';

export const OUTBOX_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface OutboxMessage {
  id: string;
  channel: 'email' | 'webhook';
  event_type: string;
  plane: string | null;
  recipients: { user_id: string; email: string }[];
  subject_id: string | null;
  payload: Record<string, unknown>;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  correlation_id: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface OutboxFilters {
  status?: OutboxStatus | undefined;
  channel?: 'email' | 'webhook' | undefined;
  event_type?: string | undefined;
  subject_id?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

function toRow(message: OutboxMessage): OutboxMessagesTable {
  return {
    ...message,
    recipients: JSON.stringify(message.recipients),
    payload: JSON.stringify(message.payload),
  };
}

function toMessage(row: OutboxMessagesTable): OutboxMessage {
  return {
    ...row,
    channel: row.channel as OutboxMessage['channel'],
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    recipients: JSON.parse(row.recipients) as OutboxMessage['recipients'],
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

export async function insertMessages(db: Executor, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db.insertInto('outbox_messages').values(messages.map(toRow)).execute();
}

export async function listMessages(db: Executor, filters: OutboxFilters): Promise<OutboxMessage[]> {
  let query = db.selectFrom('outbox_messages').selectAll();
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.channel) query = query.where('channel', '=', filters.channel);
  if (filters.event_type) query = query.where('event_type', '=', filters.event_type);
  if (filters.subject_id) query = query.where('subject_id', '=', filters.subject_id);
  if (filters.afterId) query = query.where('id', '>', filters.afterId);
  const rows = await query.orderBy('id', 'asc').limit(filters.limit).execute();
  return rows.map(toMessage);
}
