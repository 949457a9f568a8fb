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

/** A dashboard sign-in: only the SHA-256 of the cookie's value is kept. */
export interface SessionsTable {
  id: string;
  session_hash: string;
  user_id: string;
  /** The API token the session was made from; revoking it ends the session. */
  token_id: string;
  created_at: string;
  /** Absolute: never extended by use. */
  expires_at: string;
  ended_at: string | null;
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

export interface BlobsTable {
  sha256: string;
  size_bytes: number;
  /** Number of parts (or, for legacy rows, of blob_chunks rows). */
  chunk_count: number;
  created_at: string;
  /** Where the content is: blob_parts under this upload id; NULL: blob_chunks (before 0007). */
  parts_upload_id: string | null;
}

/** Content of blobs stored before migration 0007, keyed by digest. */
export interface BlobChunksTable {
  sha256: string;
  idx: number;
  data: Uint8Array;
}

/** Uploads still arriving; a row older than the sweep age is an abandoned upload. */
export interface BlobUploadsTable {
  id: string;
  started_at: string;
}

/** Content of blobs, 1 MiB per part, keyed by the upload (or write) that stored it. */
export interface BlobPartsTable {
  upload_id: string;
  idx: number;
  data: Uint8Array;
}

export interface ArtifactsTable {
  sha256: string;
  size_bytes: number;
  publisher: string;
  filename: string;
  build_time: string | null;
  content_stored: boolean | number;
  created_by: string;
  created_at: string;
  /** JSON: the embedded (Authenticode) signature read at upload; see 0012-artifact-signatures. */
  embedded_signature: string | null;
}

export interface IntentsTable {
  id: string;
  app_name: string;
  app_version: string;
  plane: string;
  artifact_sha256: string;
  install_command: string;
  install_timeout_seconds: number;
  uninstall_command: string;
  uninstall_timeout_seconds: number;
  detection_method: string;
  detection_query: string;
  /** JSON text */
  rollout_plan: string;
  /** JSON text */
  rollback_plan: string;
  justification: string;
  status: string;
  /** Bumped on every change; PATCH compares it to refuse lost updates. */
  revision: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface EvidenceItemsTable {
  id: string;
  intent_id: string;
  kind: string;
  format: string;
  spec_version: string | null;
  stage: string | null;
  artifact_sha256: string;
  blob_sha256: string;
  size_bytes: number;
  /** JSON text */
  summary: string;
  /** JSON text: string[] */
  warnings: string;
  created_by: string;
  created_at: string;
}

export interface TrustAnchorsTable {
  id: string;
  name: string;
  subject: string;
  fingerprint_sha256: string;
  pem: string;
  not_before: string;
  not_after: string;
  created_by: string;
  created_at: string;
  removed_at: string | null;
  removed_by: string | null;
}

/** A publisher an admin trusts (0011-publishers); at least one of subject and identity is set. */
export interface TrustedPublishersTable {
  id: string;
  name: string;
  name_key: string;
  /** RFC 4514 attributes that must all appear in the signer's subject. */
  x509_subject: string | null;
  /** Sigstore keyless identity: SAN pattern (`*` only at the end) and exact OIDC issuer. */
  sigstore_san: string | null;
  sigstore_issuer: string | null;
  revision: number;
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
  removed_at: string | null;
  removed_by: string | null;
}

/** A Sigstore trusted_root.json an admin supplied (0011-publishers). */
export interface SigstoreRootsTable {
  id: string;
  name: string;
  media_type: string;
  sha256: string;
  /** RFC 8785 canonical JSON of the document as uploaded. */
  document: string;
  /** JSON: what the document holds (counts, log URLs, CA subjects). */
  summary: string;
  created_by: string;
  created_at: string;
  removed_at: string | null;
  removed_by: string | null;
}

export interface ExceptionsTable {
  id: string;
  exception_type: string;
  artifact_sha256: string;
  /** JSON text: string[] */
  finding_ids: string;
  /** JSON text: string[] */
  rule_ids: string;
  description: string;
  compensating_controls: string;
  /** The approver's verification steps; null until approved. */
  compensating_control_verification: string | null;
  expires_at: string;
  status: string;
  requested_by: string;
  requested_at: string;
  approved_by: string | null;
  approved_at: string | null;
  /** Who rejected or revoked it, when, and why. */
  decided_by: string | null;
  decided_at: string | null;
  decided_reason: string | null;
  /** Bumped on every transition; exception_versions keeps each revision whole. */
  revision: number;
  updated_at: string;
}

export interface ExceptionVersionsTable {
  exception_id: string;
  revision: number;
  transition: string;
  /** JSON text: the whole exception row as of this revision */
  snapshot: string;
  changed_by: string;
  changed_at: string;
}

export interface PolicySetsTable {
  version: string;
  /** Creation order: versions are strings, this sorts them. */
  seq: number;
  description: string;
  /** Canonical JSON text */
  config: string;
  created_by: string;
  created_at: string;
}

export interface EvidencePacksTable {
  id: string;
  intent_id: string;
  version: string;
  /** 1.0 → 0, 1.1 → 1: orders versions and picks the next one. */
  minor: number;
  previous_pack_id: string | null;
  artifact_sha256: string;
  digest: string;
  /** Digest of the facts alone (no version, times or author): tells a real change apart. */
  content_digest: string;
  /** Canonical JSON text of the body: hashed as stored. */
  body: string;
  /** JSON text of the DSSE envelope */
  envelope: string;
  policy_set_version: string;
  policy_approved: boolean | number;
  risk_score: number;
  risk_model_version: string;
  recommendation: string;
  as_of: string;
  created_by: string;
  created_at: string;
}

export interface EvidencePackDocumentsTable {
  pack_id: string;
  evidence_id: string;
  sha256: string;
  kind: string;
}

export interface ApprovalPoliciesTable {
  version: string;
  seq: number;
  /** Canonical JSON text: { bands, emergency } */
  config: string;
  created_by: string;
  created_at: string;
}

/** A CAB request's current state, with the pack's summary copied in for the queue. */
export interface CabRequestsTable {
  id: string;
  pack_id: string;
  pack_version: string;
  pack_digest: string;
  intent_id: string;
  artifact_sha256: string;
  artifact_filename: string;
  /** JSON text: the rollout plan's ring names, in order */
  rings: string;
  app_name: string;
  app_version: string;
  plane: string;
  change_type: string;
  risk_score: number;
  risk_model_version: string;
  recommendation: string;
  risk_threshold_exceeded: boolean | number;
  /** JSON text: rule id → violation */
  policy_violations: string;
  violation_count: number;
  /** JSON text: severity → count, after VEX */
  finding_counts: string;
  /** JSON text: ids of the exceptions the pack relied on */
  exception_ids: string;
  exception_count: number;
  submitted_at: string;
  submitted_by: string;
  submission_justification: string;
  status: string;
  approvals_required: number;
  security_reviewer_required: boolean | number;
  approval_policy_version: string;
  approvals: number;
  denials: number;
  reviewed_at: string | null;
  reviewed_by: string | null;
  review_notes: string | null;
  /** JSON text: the union of the approving votes' conditions */
  approval_conditions: string;
  authorization_expires_at: string | null;
  /** JSON text: why the request can no longer be approved as it stands */
  stale_reasons: string;
  post_review_due_at: string | null;
  superseded_by: string | null;
  revision: number;
  updated_at: string;
}

export interface CabVotesTable {
  id: string;
  request_id: string;
  reviewer_id: string;
  reviewer_email: string;
  /** JSON text */
  reviewer_roles: string;
  decision: string;
  notes: string | null;
  /** JSON text */
  conditions: string;
  at: string;
}

export interface CabDecisionsTable {
  request_id: string;
  status: string;
  decided_by: string;
  decided_at: string;
  /** JSON text of the DSSE envelope (approvals only) */
  attestation: string | null;
}

export interface CabConditionVerificationsTable {
  request_id: string;
  condition_id: string;
  verified_by: string;
  notes: string;
  at: string;
}

export interface CabCommentsTable {
  id: string;
  request_id: string;
  author_id: string;
  text: string;
  at: string;
}

export interface CabPostReviewsTable {
  request_id: string;
  reviewer_id: string;
  outcome: string;
  notes: string;
  at: string;
}

export interface OutboxMessagesTable {
  id: string;
  channel: string;
  event_type: string;
  plane: string | null;
  /** JSON text: [{ user_id, email }] for email, [] for webhooks */
  recipients: string;
  subject_id: string | null;
  /** JSON text */
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  correlation_id: string | null;
  created_at: string;
  delivered_at: string | null;
  /** The webhook endpoint a webhook message goes to (resolved at enqueue). */
  endpoint_id: string | null;
  /** Unique when set: a scheduled message (a reminder) exists once. */
  dedupe_key: string | null;
  /** The dispatcher instance holding the message, and until when (its lease). */
  claimed_by: string | null;
  lease_until: string | null;
}

export interface OutboxAttemptsTable {
  id: string;
  message_id: string;
  attempt: number;
  started_at: string;
  finished_at: string;
  outcome: string;
  status_code: number | null;
  error: string | null;
  instance: string;
}

export interface WebhookEndpointsTable {
  id: string;
  plane: string;
  url: string;
  /** JSON text: event types */
  events: string;
  secret: string;
  description: string | null;
  status: string;
  disabled_reason: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  revision: number;
}

export interface DatabaseSchema {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  audit_checkpoints: AuditCheckpointsTable;
  idempotency_keys: IdempotencyKeysTable;
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
  blob_uploads: BlobUploadsTable;
  blob_parts: BlobPartsTable;
  artifacts: ArtifactsTable;
  intents: IntentsTable;
  evidence_items: EvidenceItemsTable;
  trust_anchors: TrustAnchorsTable;
  trusted_publishers: TrustedPublishersTable;
  sigstore_roots: SigstoreRootsTable;
  policy_sets: PolicySetsTable;
  evidence_packs: EvidencePacksTable;
  evidence_pack_documents: EvidencePackDocumentsTable;
  exceptions: ExceptionsTable;
  exception_versions: ExceptionVersionsTable;
  approval_policies: ApprovalPoliciesTable;
  cab_requests: CabRequestsTable;
  cab_votes: CabVotesTable;
  cab_decisions: CabDecisionsTable;
  cab_condition_verifications: CabConditionVerificationsTable;
  cab_comments: CabCommentsTable;
  cab_post_reviews: CabPostReviewsTable;
  outbox_messages: OutboxMessagesTable;
  outbox_attempts: OutboxAttemptsTable;
  webhook_endpoints: WebhookEndpointsTable;
}
