import type { Context } from '../platform/context.js';
import { ForbiddenError } from '../platform/errors.js';
import { ROLES, type Role } from './roles.js';

/** Reading is open to every role (an auditor reads everything), not to users with none. */
const ALL_ROLES = ROLES;

/**
 * Who may do what: the one table every route consults. `any` means every signed-in user
 * (the service then narrows to their own records). A role absent from a row has no say.
 */
export const PERMISSIONS = {
  'users.create': ['admin'],
  'users.list': ['admin', 'auditor'],
  'users.read': ['admin', 'auditor'],
  'users.update': ['admin'],
  'tokens.create': 'any',
  'tokens.create_for_others': ['admin'],
  'tokens.list': 'any',
  'tokens.list_all': ['admin', 'auditor'],
  'tokens.revoke': 'any',
  'tokens.revoke_for_others': ['admin'],
  'me.read': 'any',
  'audit.read': ['auditor', 'admin'],
  'audit.verify': ['auditor', 'admin'],
  'intents.create': ['submitter'],
  'intents.read': ALL_ROLES,
  'intents.update': ['submitter'],
  'intents.transfer': ['admin'],
  'artifacts.create': ['submitter'],
  'artifacts.read': ALL_ROLES,
  'evidence.create': ['submitter'],
  'evidence.read': ALL_ROLES,
  'trust_anchors.manage': ['admin'],
  'trust_anchors.read': ALL_ROLES,
  'exceptions.request': ['submitter'],
  'exceptions.read': ALL_ROLES,
  'exceptions.decide': ['security_reviewer'],
  'exceptions.revoke': ['security_reviewer'],
  'policy_sets.read': ALL_ROLES,
  'policy_sets.manage': ['admin'],
  'policy.preview': ALL_ROLES,
  'risk_models.read': ALL_ROLES,
  'risk.preview': ALL_ROLES,
  'packs.generate': ['submitter'],
  'packs.read': ALL_ROLES,
  'packs.export': ALL_ROLES,
  'cab.submit': ['submitter'],
  'cab.read': ALL_ROLES,
  'cab.vote': ['cab_member'],
  'cab.verify_condition': ['cab_member'],
  'cab.post_review': ['cab_member'],
  'cab.comment': ['submitter', 'cab_member', 'security_reviewer', 'admin'],
  'cab.gate': ALL_ROLES,
  'approval_policies.read': ALL_ROLES,
  'approval_policies.manage': ['admin'],
  'outbox.read': ['admin', 'auditor'],
  'webhooks.manage': ['admin'],
  'outbox.retry': ['admin'],
} as const satisfies Record<string, readonly Role[] | 'any'>;

export type Action = keyof typeof PERMISSIONS;

export function isAllowed(roles: readonly string[], action: Action): boolean {
  const allowed: readonly Role[] | 'any' = PERMISSIONS[action];
  return allowed === 'any' || allowed.some((role) => roles.includes(role));
}

export function authorize(ctx: Context, action: Action): void {
  if (!isAllowed(ctx.roles, action)) {
    const allowed: readonly Role[] | 'any' = PERMISSIONS[action];
    throw new ForbiddenError(
      `${action} requires one of the roles ${Array.isArray(allowed) ? allowed.join(', ') : 'any'}; you have ${ctx.roles.length ? ctx.roles.join(', ') : 'none'}.`,
      'missing_role',
    );
  }
}

/**
 * Separation of duties, absolute whatever roles the actor holds: nobody decides on what
 * they themselves submitted or requested.
 */
export function assertNotOwnRecord(ctx: Context, ownerId: string, what: string): void {
  if (ctx.actorId === ownerId) {
    throw new ForbiddenError(
      `Separation of duties: you cannot decide ${what} that you submitted yourself.`,
      'separation_of_duties',
    );
  }
}
