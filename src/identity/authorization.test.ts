import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../platform/errors.js';
import { assertNotOwnRecord, authorize, isAllowed, PERMISSIONS } from './authorization.js';

const ctx = (actorId: string, roles: string[]) => ({ actorId, roles, correlationId: null });

describe('authorization', () => {
  it('grants "any" actions to every signed-in user, role actions only to their roles', () => {
    expect(isAllowed([], 'me.read')).toBe(true);
    expect(isAllowed(['auditor'], 'audit.read')).toBe(true);
    expect(isAllowed(['submitter', 'cab_member'], 'audit.read')).toBe(false);
    expect(() => authorize(ctx('u', []), 'users.create')).toThrow(
      'users.create requires one of the roles admin; you have none.',
    );
    expect(() => authorize(ctx('u', ['auditor']), 'users.create')).toThrow(/you have auditor/);
    expect(() => authorize(ctx('u', ['admin']), 'users.create')).not.toThrow();
  });

  it('gives admins no approval power beyond the table', () => {
    for (const [action, roles] of Object.entries(PERMISSIONS)) {
      if (roles !== 'any') expect(roles.length).toBeGreaterThan(0);
      expect(action).toMatch(/^[a-z_]+\.[a-z_]+$/);
    }
  });

  it('enforces separation of duties whatever the roles', () => {
    expect(() => assertNotOwnRecord(ctx('u1', ['admin', 'cab_member']), 'u1', 'a request')).toThrow(
      ForbiddenError,
    );
    try {
      assertNotOwnRecord(ctx('u1', ['cab_member']), 'u1', 'a CAB request');
    } catch (error) {
      expect((error as ForbiddenError).reason).toBe('separation_of_duties');
    }
    expect(() => assertNotOwnRecord(ctx('u2', []), 'u1', 'a request')).not.toThrow();
  });
});
