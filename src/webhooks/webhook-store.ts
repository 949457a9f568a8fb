import type { Plane } from '../intents/intent-rules.js';
import type { DialectName, Executor, Trx } from '../platform/db/database.js';
import { forUpdate, updateAtRevision } from '../platform/db/revisioned.js';
import type { WebhookEndpointsTable } from '../platform/db/schema.js';

export const WEBHOOK_EVENTS = [
  'deployment.authorized',
  'deployment.denied',
  'cab.request.superseded',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** Sent to one endpoint on request (POST /webhooks/{id}/test); nobody subscribes to it. */
export const PING_EVENT = 'ping';

export const ENDPOINT_STATUSES = ['active', 'disabled', 'deleted'] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

/** An endpoint as stored: the URL with any credentials, and the signing secret. */
export interface EndpointRecord {
  id: string;
  plane: Plane;
  url: string;
  events: WebhookEvent[];
  secret: string;
  description: string | null;
  status: EndpointStatus;
  disabled_reason: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  revision: number;
}

export interface EndpointFilters {
  plane?: Plane | undefined;
  /** Without it: active and disabled endpoints (deleted ones only when asked for). */
  status?: EndpointStatus | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** Column by column, so nothing but the declared columns ever reaches the SQL. */
function toRow(record: EndpointRecord): WebhookEndpointsTable {
  return {
    id: record.id,
    plane: record.plane,
    url: record.url,
    events: JSON.stringify(record.events),
    secret: record.secret,
    description: record.description,
    status: record.status,
    disabled_reason: record.disabled_reason,
    created_by: record.created_by,
    created_at: record.created_at,
    updated_at: record.updated_at,
    revision: record.revision,
  };
}

function toRecord(row: WebhookEndpointsTable): EndpointRecord {
  return {
    ...row,
    plane: row.plane as Plane,
    events: JSON.parse(row.events) as WebhookEvent[],
    status: row.status as EndpointStatus,
    revision: Number(row.revision),
  };
}

export async function insertEndpoint(db: Executor, record: EndpointRecord): Promise<void> {
  await db.insertInto('webhook_endpoints').values(toRow(record)).execute();
}

/** Writes the new state if the stored revision is still `expectedRevision` (the caller holds the row). */
export async function updateEndpoint(
  db: Executor,
  record: EndpointRecord,
  expectedRevision: number,
): Promise<void> {
  const { id, created_by, created_at, secret, ...changes } = toRow(record);
  await updateAtRevision(
    db,
    'webhook_endpoints',
    id,
    changes,
    expectedRevision,
    'Webhook endpoint',
  );
}

export async function findEndpoint(db: Executor, id: string): Promise<EndpointRecord | null> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toRecord(row) : null;
}

/** Reads an endpoint and holds it until the transaction ends (a row lock on PostgreSQL). */
export async function findEndpointForUpdate(
  trx: Trx,
  dialect: DialectName,
  id: string,
): Promise<EndpointRecord | null> {
  const query = trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', id);
  const row = await forUpdate(query, dialect).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function listEndpoints(
  db: Executor,
  filters: EndpointFilters,
): Promise<EndpointRecord[]> {
  let query = db.selectFrom('webhook_endpoints').selectAll();
  query = filters.status
    ? query.where('status', '=', filters.status)
    : query.where('status', '!=', 'deleted');
  if (filters.plane) query = query.where('plane', '=', filters.plane);
  if (filters.afterId) query = query.where('id', '>', filters.afterId);
  const rows = await query.orderBy('id', 'asc').limit(filters.limit).execute();
  return rows.map(toRecord);
}

/** The active endpoints of a plane that subscribed to an event type. */
export async function findSubscribers(
  db: Executor,
  plane: string,
  eventType: string,
): Promise<{ id: string }[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'events'])
    .where('plane', '=', plane)
    .where('status', '=', 'active')
    .orderBy('id')
    .execute();
  return rows
    .filter((row) => (JSON.parse(row.events) as string[]).includes(eventType))
    .map((row) => ({ id: row.id }));
}
