/**
 * The business rules of a deployment intent, as pure functions: data in, located problems
 * out. The HTTP schemas (intent-schemas.ts) check shape and bounds (400); these check what
 * only makes sense across fields — ring order, the plane's capabilities, recipe formats —
 * and answer 422. docs/architecture/deployment-intents.md holds the same tables for humans.
 */
import type { Context } from '../platform/context.js';
import { ConflictError, ForbiddenError, type ProblemDetail } from '../platform/errors.js';

export const PLANES = ['intune', 'jamf', 'configmgr', 'landscape', 'custom'] as const;
export type Plane = (typeof PLANES)[number];

export const DETECTION_METHODS = ['registry', 'file', 'productcode', 'custom'] as const;
export type DetectionMethod = (typeof DETECTION_METHODS)[number];

export const ROLLBACK_STRATEGIES = [
  'uninstall',
  'reinstall_previous',
  'supersede',
  'custom',
] as const;
export type RollbackStrategy = (typeof ROLLBACK_STRATEGIES)[number];

export const INTENT_STATUSES = [
  'draft',
  'ready',
  'submitted',
  'approved',
  'denied',
  'superseded',
] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];

/** Decided intents take no more evidence: a change to them is a new intent. */
export const CLOSED_STATUSES: readonly IntentStatus[] = ['approved', 'denied', 'superseded'];

/** Seconds; a day is the longest an endpoint agent should be left waiting on an installer. */
export const TIMEOUT_MIN_SECONDS = 1;
export const TIMEOUT_MAX_SECONDS = 86_400;
export const DEFAULT_INSTALL_TIMEOUT_SECONDS = 600;
export const DEFAULT_UNINSTALL_TIMEOUT_SECONDS = 300;
export const MAX_RINGS = 20;

/**
 * Which detection methods each plane can evaluate. Registry keys and MSI product codes exist
 * only on Windows, so only the Windows planes (and `custom`, which we cannot know) take them.
 */
export const DETECTION_METHODS_BY_PLANE: Record<Plane, readonly DetectionMethod[]> = {
  intune: ['registry', 'file', 'productcode', 'custom'],
  configmgr: ['registry', 'file', 'productcode', 'custom'],
  jamf: ['file', 'custom'],
  landscape: ['file', 'custom'],
  custom: ['registry', 'file', 'productcode', 'custom'],
};

/**
 * Which rollback strategies each plane can carry out. Supersedence is a native relationship
 * only in Intune and ConfigMgr; elsewhere the same effect is a `custom` plan with steps.
 */
export const ROLLBACK_STRATEGIES_BY_PLANE: Record<Plane, readonly RollbackStrategy[]> = {
  intune: ['uninstall', 'reinstall_previous', 'supersede', 'custom'],
  configmgr: ['uninstall', 'reinstall_previous', 'supersede', 'custom'],
  jamf: ['uninstall', 'reinstall_previous', 'custom'],
  landscape: ['uninstall', 'reinstall_previous', 'custom'],
  custom: ['uninstall', 'reinstall_previous', 'custom'],
};

/** How a file path is written on a plane: Windows planes, POSIX planes, or either. */
export type PathStyle = 'windows' | 'posix' | 'any';

export const PATH_STYLE_BY_PLANE: Record<Plane, PathStyle> = {
  intune: 'windows',
  configmgr: 'windows',
  jamf: 'posix',
  landscape: 'posix',
  custom: 'any',
};

export interface Ring {
  name: string;
  target_group: string;
  size: number;
  start_offset_hours: number;
  duration_hours: number;
  exclusions: string[];
}

export interface RolloutPlan {
  rings: Ring[];
}

export interface RollbackPlan {
  strategy: RollbackStrategy;
  previous_version?: string | undefined;
  steps?: string[] | undefined;
}

/** Everything a client declares about an intent (the POST body, defaults applied). */
export interface IntentFields {
  app_name: string;
  app_version: string;
  plane: Plane;
  artifact_sha256: string;
  install_command: string;
  install_timeout_seconds: number;
  uninstall_command: string;
  uninstall_timeout_seconds: number;
  detection_method: DetectionMethod;
  detection_query: string;
  rollout_plan: RolloutPlan;
  rollback_plan: RollbackPlan;
  justification: string;
}

/** Every business-rule problem of a well-shaped intent; empty when it may be stored. */
export function validateIntent(fields: IntentFields): ProblemDetail[] {
  return [
    ...validateDetection(fields.plane, fields.detection_method, fields.detection_query),
    ...validateRolloutPlan(fields.rollout_plan),
    ...validateRollbackPlan(fields.rollback_plan, fields.plane, fields.app_version),
  ];
}

export function validateRolloutPlan(plan: RolloutPlan): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  // Names are compared as people read them: "Ring1" and "ring1 " would be the same ring.
  const seen = new Map<string, number>();
  plan.rings.forEach((ring, i) => {
    const path = `/rollout_plan/rings/${i}`;
    const key = ring.name.trim().toLowerCase();
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else problems.push({ path: `${path}/name`, message: `duplicates the name of ring ${first}` });

    const previous = plan.rings[i - 1];
    if (previous && ring.start_offset_hours < previous.start_offset_hours) {
      problems.push({
        path: `${path}/start_offset_hours`,
        message: `starts at hour ${ring.start_offset_hours}, before ring ${i - 1} (hour ${previous.start_offset_hours}): rings must be in start order`,
      });
    }
    // Excluding the very group the ring targets leaves the ring empty.
    ring.exclusions.forEach((exclusion, j) => {
      if (exclusion.trim().toLowerCase() === ring.target_group.trim().toLowerCase()) {
        problems.push({
          path: `${path}/exclusions/${j}`,
          message: 'excludes the ring’s own target_group',
        });
      }
    });
  });
  return problems;
}

export function validateRollbackPlan(
  plan: RollbackPlan,
  plane: Plane,
  appVersion: string,
): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  const allowed = ROLLBACK_STRATEGIES_BY_PLANE[plane];
  if (!allowed.includes(plan.strategy)) {
    problems.push({
      path: '/rollback_plan/strategy',
      message: `${plan.strategy} is not available on ${plane}; use one of ${allowed.join(', ')}`,
    });
  }
  if (plan.strategy === 'reinstall_previous') {
    if (plan.previous_version === undefined) {
      problems.push({
        path: '/rollback_plan/previous_version',
        message: 'reinstall_previous needs the previous_version to reinstall',
      });
    } else if (plan.previous_version.trim() === appVersion.trim()) {
      problems.push({
        path: '/rollback_plan/previous_version',
        message: `is the version being deployed (${appVersion}); name the one to go back to`,
      });
    }
  }
  if (plan.strategy === 'custom' && (plan.steps ?? []).length === 0) {
    problems.push({
      path: '/rollback_plan/steps',
      message: 'a custom rollback needs at least one step',
    });
  }
  return problems;
}

export function validateDetection(
  plane: Plane,
  method: DetectionMethod,
  query: string,
): ProblemDetail[] {
  const allowed = DETECTION_METHODS_BY_PLANE[plane];
  if (!allowed.includes(method)) {
    // The query's format depends on the method, so judging it too would only add noise.
    return [
      {
        path: '/detection_method',
        message: `${method} detection is not available on ${plane}; use one of ${allowed.join(', ')}`,
      },
    ];
  }
  const problem = detectionQueryProblem(method, query, PATH_STYLE_BY_PLANE[plane]);
  return problem ? [{ path: '/detection_query', message: problem }] : [];
}

const REGISTRY =
  /^(?:HKLM|HKCU|HKCR|HKU|HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS)\\(.+)$/is;
const PRODUCT_CODE =
  /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/;
const WINDOWS_ROOT = /^(?:[A-Za-z]:|%[A-Za-z_][A-Za-z0-9_()]*%)\\(.*)$/s;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;

/** Why `query` is not a usable detection query for `method`, or null when it is. */
export function detectionQueryProblem(
  method: DetectionMethod,
  query: string,
  style: PathStyle,
): string | null {
  switch (method) {
    case 'registry':
      return registryProblem(query);
    case 'productcode':
      return PRODUCT_CODE.test(query)
        ? null
        : 'must be an MSI product code: a GUID in braces, {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}';
    case 'file':
      return filePathProblem(query, style);
    case 'custom':
      // A script or command in the plane's own language: nothing general to check.
      return null;
  }
}

/** `HIVE\Key\Subkey` with an optional `:ValueName`, e.g. `HKLM\SOFTWARE\7-Zip:Path`. */
function registryProblem(query: string): string | null {
  const match = REGISTRY.exec(query);
  if (!match) {
    return 'must start with a registry hive (HKLM\\, HKCU\\, HKCR\\, HKU\\ or its long name) and name a key';
  }
  const rest = match[1]!;
  const colon = rest.indexOf(':');
  const keyPath = colon === -1 ? rest : rest.slice(0, colon);
  if (keyPath.split('\\').some((segment) => segment === '')) {
    return 'has an empty key name (a doubled or trailing backslash)';
  }
  if (colon !== -1 && rest.slice(colon + 1) === '') {
    return 'names no value after ":" (write HIVE\\Key to test the key, HIVE\\Key:Value for a value)';
  }
  if (CONTROL.test(query)) return 'contains a control character';
  return null;
}

function filePathProblem(query: string, style: PathStyle): string | null {
  if (CONTROL.test(query)) return 'contains a control character';
  if (style === 'windows') return windowsPathProblem(query);
  if (style === 'posix') return posixPathProblem(query);
  // The custom plane may run anywhere: either form is absolute enough.
  return query.startsWith('/') ? posixPathProblem(query) : windowsPathProblem(query);
}

function windowsPathProblem(query: string): string | null {
  const match = WINDOWS_ROOT.exec(query);
  if (!match) {
    return 'must be an absolute Windows path (C:\\… or %ProgramFiles%\\…)';
  }
  // A trailing backslash names a folder, which detection may test for too.
  const rest = match[1]!.replace(/\\$/, '');
  if (rest === '') return 'must name a file or folder below the drive or variable';
  return segmentProblem(rest.split('\\'), (s) => WINDOWS_FORBIDDEN.test(s));
}

function posixPathProblem(query: string): string | null {
  if (!query.startsWith('/')) return 'must be an absolute path (starting with /)';
  const rest = query.slice(1).replace(/\/$/, '');
  if (rest === '') return 'must name a file or folder below /';
  return segmentProblem(rest.split('/'), () => false);
}

/** Detection compares paths literally, so only normalised paths can match what is on disk. */
function segmentProblem(
  segments: string[],
  forbidden: (segment: string) => boolean,
): string | null {
  if (segments.some((s) => s === '')) return 'has an empty path segment (a doubled separator)';
  if (segments.some((s) => s === '.' || s === '..')) return 'must not contain . or .. segments';
  if (segments.some(forbidden))
    return 'contains a character Windows forbids in file names (<>:"|?*)';
  return null;
}

/**
 * The one ownership rule: an intent is acted on (changed, given evidence, frozen into packs,
 * waived, submitted to the CAB) by its owner only — the submitter who created it, or the one
 * an admin transferred it to. Every domain asks this through its intents gateway.
 */
export function assertIntentOwner(
  ctx: Context,
  intent: { id: string; created_by: string },
  action: string,
): void {
  if (intent.created_by !== ctx.actorId) {
    throw new ForbiddenError(
      `Only the owner of intent ${intent.id} (${intent.created_by}) may ${action}.`,
      'not_intent_owner',
    );
  }
}

/** Evidence attaches to an intent until it is decided; afterwards the record is closed. */
export function assertAcceptsEvidence(intent: { id: string; status: string }): void {
  if ((CLOSED_STATUSES as readonly string[]).includes(intent.status)) {
    throw new ConflictError(
      `Intent ${intent.id} is ${intent.status} and takes no more evidence: declare a new intent for a new change.`,
      'intent_closed',
    );
  }
}

/**
 * The intent's status moves that the CAB workflow causes (draft → ready is the intake's, in
 * markReadyIfComplete): `submit` when a pack goes to the CAB, `approve`/`deny` on its
 * decision, `reopen` when a new pack version supersedes the open request.
 */
export const INTENT_STATUS_MOVES = {
  submit: { from: ['ready'], to: 'submitted' },
  approve: { from: ['submitted'], to: 'approved' },
  deny: { from: ['submitted'], to: 'denied' },
  reopen: { from: ['submitted'], to: 'ready' },
} as const satisfies Record<string, { from: readonly IntentStatus[]; to: IntentStatus }>;
export type IntentStatusMove = keyof typeof INTENT_STATUS_MOVES;
