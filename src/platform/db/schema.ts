/**
 * Row shapes as Kysely sees them. Conventions shared by both dialects (normalised in
 * src/platform/db): ids are text UUIDs, timestamps are ISO-8601 UTC text with milliseconds,
 * JSON is stored as text (exact bytes, no jsonb key reordering), booleans are 0/1 on SQLite
 * and boolean on PostgreSQL (read them with `fromDbBool`), and bigint columns come back as
 * numbers on both (the PostgreSQL pool parses int8).
 */
export interface UsersTable {
  id: string;
  email: string;
  display_name: string;
  roles: string;
  disabled: boolean | number;
  created_at: string;
  updated_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  token_prefix: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface AuditEventsTable {
  seq: number;
  id: string;
  event_type: string;
  correlation_id: string | null;
  actor: string;
  subject: string | null;
  data: string;
  created_at: string;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointsTable {
  seq: number;
  hash: string;
  key_id: string;
  signature: string;
  created_at: string;
}

export interface IdempotencyKeysTable {
  caller: string;
  idempotency_key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: string;
}

export interface DatabaseSchema {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  audit_checkpoints: AuditCheckpointsTable;
  idempotency_keys: IdempotencyKeysTable;
}
