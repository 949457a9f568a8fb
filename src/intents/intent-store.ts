import type { DialectName, Executor, Trx } from '../platform/db/database.js';
import { changedColumns, forUpdate, updateAtRevision } from '../platform/db/revisioned.js';
import type { IntentsTable } from '../platform/db/schema.js';
import type {
  DetectionMethod,
  IntentFields,
  IntentStatus,
  Plane,
  RollbackPlan,
  RolloutPlan,
} from './intent-rules.js';

/** What an intent shows of its artifact (the artifacts table belongs to the intake). */
export interface ArtifactSummary {
  sha256: string;
  size_bytes: number;
  publisher: string;
  filename: string;
  build_time: string | null;
}

/** An intent as stored, before its artifact is joined in. */
export interface IntentRecord extends IntentFields {
  id: string;
  status: IntentStatus;
  revision: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface Intent extends IntentRecord {
  artifact: ArtifactSummary;
}

export interface IntentFilters {
  status?: IntentStatus | undefined;
  plane?: Plane | undefined;
  app_name?: string | undefined;
  created_by?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

type JoinedRow = IntentsTable & {
  artifact_size_bytes: number;
  artifact_publisher: string;
  artifact_filename: string;
  artifact_build_time: string | null;
};

/** Column by column, so a joined `artifact` (or any other extra) never reaches the SQL. */
function toRow(intent: IntentRecord): IntentsTable {
  return {
    id: intent.id,
    app_name: intent.app_name,
    app_version: intent.app_version,
    plane: intent.plane,
    artifact_sha256: intent.artifact_sha256,
    install_command: intent.install_command,
    install_timeout_seconds: intent.install_timeout_seconds,
    uninstall_command: intent.uninstall_command,
    uninstall_timeout_seconds: intent.uninstall_timeout_seconds,
    detection_method: intent.detection_method,
    detection_query: intent.detection_query,
    rollout_plan: JSON.stringify(intent.rollout_plan),
    rollback_plan: JSON.stringify(intent.rollback_plan),
    justification: intent.justification,
    status: intent.status,
    revision: intent.revision,
    created_by: intent.created_by,
    created_at: intent.created_at,
    updated_at: intent.updated_at,
  };
}

function toIntent(row: JoinedRow): Intent {
  const {
    artifact_size_bytes,
    artifact_publisher,
    artifact_filename,
    artifact_build_time,
    ...intent
  } = row;
  return {
    ...intent,
    plane: intent.plane as Plane,
    status: intent.status as IntentStatus,
    detection_method: intent.detection_method as DetectionMethod,
    install_timeout_seconds: Number(intent.install_timeout_seconds),
    uninstall_timeout_seconds: Number(intent.uninstall_timeout_seconds),
    revision: Number(intent.revision),
    rollout_plan: JSON.parse(intent.rollout_plan) as RolloutPlan,
    rollback_plan: JSON.parse(intent.rollback_plan) as RollbackPlan,
    artifact: {
      sha256: intent.artifact_sha256,
      size_bytes: Number(artifact_size_bytes),
      publisher: artifact_publisher,
      filename: artifact_filename,
      build_time: artifact_build_time,
    },
  };
}

function selectJoined(db: Executor) {
  // The foreign key guarantees the artifact row, so an inner join loses no intent.
  return db
    .selectFrom('intents')
    .innerJoin('artifacts', 'artifacts.sha256', 'intents.artifact_sha256')
    .selectAll('intents')
    .select([
      'artifacts.size_bytes as artifact_size_bytes',
      'artifacts.publisher as artifact_publisher',
      'artifacts.filename as artifact_filename',
      'artifacts.build_time as artifact_build_time',
    ]);
}

export async function insertIntent(db: Executor, intent: IntentRecord): Promise<void> {
  await db.insertInto('intents').values(toRow(intent)).execute();
}

/**
 * Writes the columns that changed from `before` (never the owner: see transferIntent) if the
 * stored revision is still `before`'s (the caller holds the row).
 */
export async function updateIntent(
  db: Executor,
  after: IntentRecord,
  before: IntentRecord,
): Promise<void> {
  const { created_by, created_at, ...changes } = changedColumns(toRow(after), toRow(before));
  await updateAtRevision(db, 'intents', after.id, changes, before.revision, 'Intent');
}

/** An owner transfer: the one change that rewrites `created_by` (the owner's column). */
export async function transferIntent(
  db: Executor,
  intent: IntentRecord,
  expectedRevision: number,
): Promise<void> {
  const { id, created_by, revision, updated_at } = toRow(intent);
  await updateAtRevision(
    db,
    'intents',
    id,
    { created_by, revision, updated_at },
    expectedRevision,
    'Intent',
  );
}

/** Who owns the intents that deploy an artifact. */
export async function ownersOfArtifact(db: Executor, artifactSha256: string): Promise<string[]> {
  const rows = await db
    .selectFrom('intents')
    .select('created_by')
    .distinct()
    .where('artifact_sha256', '=', artifactSha256)
    .execute();
  return rows.map((row) => row.created_by);
}

export async function findIntent(db: Executor, id: string): Promise<Intent | null> {
  const row = await selectJoined(db).where('intents.id', '=', id).executeTakeFirst();
  return row ? toIntent(row) : null;
}

/**
 * Reads an intent and holds it until the transaction ends. On PostgreSQL a row lock (the
 * artifact row stays unlocked, so intents sharing an artifact do not queue); on SQLite the
 * transaction already holds the database's single write lock (BEGIN IMMEDIATE).
 */
export async function findIntentForUpdate(
  trx: Trx,
  dialect: DialectName,
  id: string,
): Promise<Intent | null> {
  const query = selectJoined(trx).where('intents.id', '=', id);
  const row = await forUpdate(query, dialect, 'intents').executeTakeFirst();
  return row ? toIntent(row) : null;
}

export async function listIntents(db: Executor, filters: IntentFilters): Promise<Intent[]> {
  let query = selectJoined(db);
  if (filters.status) query = query.where('intents.status', '=', filters.status);
  if (filters.plane) query = query.where('intents.plane', '=', filters.plane);
  if (filters.app_name) query = query.where('intents.app_name', '=', filters.app_name);
  if (filters.created_by) query = query.where('intents.created_by', '=', filters.created_by);
  if (filters.afterId) query = query.where('intents.id', '>', filters.afterId);
  const rows = await query.orderBy('intents.id', 'asc').limit(filters.limit).execute();
  return rows.map(toIntent);
}

export async function findArtifact(db: Executor, sha256: string): Promise<ArtifactSummary | null> {
  const row = await db
    .selectFrom('artifacts')
    .select(['sha256', 'size_bytes', 'publisher', 'filename', 'build_time'])
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  return row ? { ...row, size_bytes: Number(row.size_bytes) } : null;
}

export async function countEvidence(db: Executor, intentId: string): Promise<number> {
  const row = await db
    .selectFrom('evidence_items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('intent_id', '=', intentId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
